using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FlashSale.Tests.Faults;

/// <summary>Runs the PostgreSQL and Redis command-line tools the private instances need, and finds free ports.</summary>
public static class Processes
{
    private static readonly bool IsRoot = Environment.UserName == "root";

    /// <summary>Runs <paramref name="file"/> to completion and returns its output; throws with its output when it fails.</summary>
    public static async Task<string> RunAsync(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {await errors}{await output}");
        }
        return await output;
    }

    /// <summary>
    /// Runs a PostgreSQL server tool as the <c>postgres</c> user when we are root (initdb and the server refuse root),
    /// else as ourselves.
    /// </summary>
    public static Task<string> RunAsPostgresAsync(string tool, params string[] arguments) =>
        IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", tool, .. arguments]) : RunAsync(tool, arguments);

    /// <summary>Hands a directory to the <c>postgres</c> user when we are root, so the server may write to it.</summary>
    public static async Task GiveToPostgresAsync(string directory)
    {
        if (IsRoot)
        {
            await RunAsync("chown", "-R", "postgres:postgres", directory);
        }
    }

    /// <summary>A loopback port nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>True while something accepts TCP connections on the loopback port.</summary>
    public static async Task<bool> ListensAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(1));
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return false;
        }
    }
}
