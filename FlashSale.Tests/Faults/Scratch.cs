using System.Diagnostics;
using System.Globalization;

namespace FlashSale.Tests.Faults;

/// <summary>
/// Temporary data directories of the private PostgreSQL and Redis instances, under one root in the temp folder. Each
/// name starts with the test process's id: directories of a run that was killed (and the servers still running on
/// them) are cleaned up by the next run.
/// </summary>
public static class Scratch
{
    public static readonly string Root = Path.Combine(Path.GetTempPath(), "flashsale-faults");

    private static readonly string Prefix = Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-";

    private static readonly Lazy<Task> Cleaned = new(RemoveLeftoversAsync);

    /// <summary>A fresh, empty directory named after <paramref name="purpose"/>.</summary>
    public static async Task<string> NewDirectoryAsync(string purpose)
    {
        await Cleaned.Value;
        var path = Path.Combine(Root, $"{Prefix}{purpose}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A server still closing a file: the next run removes it.
        }
    }

    private static async Task RemoveLeftoversAsync()
    {
        Directory.CreateDirectory(Root);
        foreach (var directory in Directory.GetDirectories(Root))
        {
            var name = Path.GetFileName(directory);
            var dash = name.IndexOf('-', StringComparison.Ordinal);
            if (dash < 1 || !int.TryParse(name[..dash], CultureInfo.InvariantCulture, out var pid) || IsAlive(pid))
            {
                continue;
            }
            await PrivatePostgres.StopLeftoverAsync(directory);
            PrivateRedis.StopLeftover(directory);
            Delete(directory);
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
