using System.Diagnostics;

namespace FlashSale.Load.Distributed;

/// <summary>Where a local worker of a run finds the run: the Redis, the key prefix, the run id, and its own name.</summary>
internal sealed record LocalWorkerStart(string Redis, string Prefix, string RunId, string Name);

/// <summary>
/// Starts local workers as processes of this same tool (<c>FlashSale.Load worker …</c>): each process has its own
/// 20,000 open files, which is the point. Their output goes to the coordinator's log, one prefixed line at a time.
/// </summary>
internal static class LocalWorkers
{
    public static Process Start(LocalWorkerStart start, TextWriter log)
    {
        var dll = typeof(LocalWorkers).Assembly.Location;
        var apphost = Path.ChangeExtension(dll, OperatingSystem.IsWindows() ? ".exe" : null);
        var info = File.Exists(apphost) ? new ProcessStartInfo(apphost) : new ProcessStartInfo("dotnet") { ArgumentList = { dll } };
        foreach (var arg in new[] { "worker", "--redis", start.Redis, "--redis-prefix", start.Prefix, "--run", start.RunId, "--name", start.Name })
        {
            info.ArgumentList.Add(arg);
        }

        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var process = Process.Start(info) ?? throw new Running.SetupException($"could not start worker process {start.Name}");
        void Forward(object? _, DataReceivedEventArgs e)
        {
            if (e.Data is { Length: > 0 } line)
            {
                lock (log)
                {
                    log.WriteLine($"  [{start.Name}] {line}");
                }
            }
        }

        process.OutputDataReceived += Forward;
        process.ErrorDataReceived += Forward;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
