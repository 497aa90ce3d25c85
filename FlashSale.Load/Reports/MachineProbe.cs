using System.Diagnostics;
using System.Runtime.InteropServices;

namespace FlashSale.Load.Reports;

/// <summary>Where the run happened: figures mean little without the machine, the runtime and the commit.</summary>
internal static class MachineProbe
{
    /// <param name="gitCommit">The commit the run was built from, when known.</param>
    /// <param name="loadAverageAtStart">Read before any load was sent (<see cref="LoadAverage"/>): at the end the run itself is the load.</param>
    public static MachineInfo Collect(string? gitCommit, IReadOnlyList<double>? loadAverageAtStart) => new(
        RuntimeInformation.OSDescription,
        RuntimeInformation.OSArchitecture.ToString(),
        Environment.ProcessorCount,
        RuntimeInformation.FrameworkDescription,
        gitCommit ?? GitCommit(),
        Environment.MachineName,
        loadAverageAtStart);

    /// <summary>The 1, 5 and 15-minute load averages from /proc/loadavg; null where there is none (not Linux).</summary>
    public static IReadOnlyList<double>? LoadAverage()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length >= 3
                ? fields.Take(3).Select(f => double.Parse(f, System.Globalization.CultureInfo.InvariantCulture)).ToList()
                : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The checked-out commit of the working directory, "unknown" when git or a repository is missing.</summary>
    public static string GitCommit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", "rev-parse HEAD")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (git is null)
            {
                return "unknown";
            }

            var output = git.StandardOutput.ReadToEnd().Trim();
            return git.WaitForExit(3000) && git.ExitCode == 0 && output.Length >= 7 ? output : "unknown";
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "unknown";
        }
    }
}
