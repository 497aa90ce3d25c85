using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace FlashSale.Tests.Faults;

/// <summary>
/// A Redis server of the test's own, on a free port and a temporary directory, configured like production
/// (append-only file fsynced before every answer). A test may shut it down, start it again over its append-only
/// file, or flush it; the shared Redis at 6379 must never see any of that.
/// </summary>
public sealed class PrivateRedis : IAsyncDisposable
{
    private Process? _process;

    private PrivateRedis(string directory, int port)
    {
        Directory = directory;
        Port = port;
    }

    public string Directory { get; }

    public int Port { get; }

    /// <summary>StackExchange.Redis configuration for a client of this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public static async Task<PrivateRedis> StartAsync()
    {
        var server = new PrivateRedis(await Scratch.NewDirectoryAsync("redis"), Processes.FreePort());
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the server (again) on the same port and directory: it loads its append-only file.</summary>
    public async Task StartAgainAsync()
    {
        var info = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var argument in (string[])["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", Directory,
                     "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
                     "--pidfile", Path.Combine(Directory, "redis.pid"), "--logfile", Path.Combine(Directory, "redis.log")])
        {
            info.ArgumentList.Add(argument);
        }
        _process = Process.Start(info) ?? throw new InvalidOperationException("Could not start redis-server.");
        for (var attempt = 0; attempt < 200; attempt++)
        {
            if (await PingsAsync())
            {
                return;
            }
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited {_process.ExitCode}: {await File.ReadAllTextAsync(Path.Combine(Directory, "redis.log"))}");
            }
            await Task.Delay(25);
        }
        throw new InvalidOperationException($"redis-server on port {Port} did not answer PING.");
    }

    /// <summary>SHUTDOWN: Redis fsyncs its append-only file and exits, as an orderly restart of the server does.</summary>
    public async Task ShutdownAsync()
    {
        await Processes.RunAsync("redis-cli", "-p", Port.ToString(CultureInfo.InvariantCulture), "shutdown");
        await _process!.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    /// <summary>FLUSHALL on this private server only: every key of every sale is gone, as after losing Redis' data.</summary>
    public Task FlushAllAsync() => Processes.RunAsync("redis-cli", "-p", Port.ToString(CultureInfo.InvariantCulture), "flushall");

    public async Task<ConnectionMultiplexer> ConnectAsync() => await ConnectionMultiplexer.ConnectAsync(Configuration);

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        Scratch.Delete(Directory);
    }

    /// <summary>Stops a server still running on <paramref name="directory"/> (a killed run's), if any.</summary>
    internal static void StopLeftover(string directory)
    {
        var pidFile = Path.Combine(directory, "redis.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out var pid))
        {
            return;
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.ProcessName.StartsWith("redis", StringComparison.Ordinal))
            {
                process.Kill();
            }
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }

    private async Task<bool> PingsAsync()
    {
        if (!await Processes.ListensAsync(Port))
        {
            return false;
        }
        try
        {
            // A server replaying its append-only file answers LOADING until it is done.
            return (await Processes.RunAsync("redis-cli", "-p", Port.ToString(CultureInfo.InvariantCulture), "ping")).Trim() == "PONG";
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
