using System.Diagnostics;
using System.Runtime.InteropServices;

namespace FlashSale.Load.Reports;

/// <summary>Where the run happened: figures mean little without the machine, the runtime and the commit.</summary>
internal static class MachineProbe
{
    public static MachineInfo Collect(string? gitCommit) => new(
        RuntimeInformation.OSDescription,
        RuntimeInformation.OSArchitecture.ToString(),
        Environment.ProcessorCount,
        RuntimeInformation.FrameworkDescription,
        gitCommit ?? GitCommit(),
        Environment.MachineName);

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
