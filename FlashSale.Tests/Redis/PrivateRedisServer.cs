using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace FlashSale.Tests.Redis;

/// <summary>
/// A redis-server of a test's own (free port, temporary directory, no persistence), for tests that flush or stop Redis:
/// the shared Redis must never be flushed. Started in about 20 ms; shut down and its directory deleted on dispose.
/// </summary>
public sealed class PrivateRedisServer : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"flashsale-redis-{Guid.NewGuid():N}");

    public int Port { get; private set; }

    /// <summary>StackExchange.Redis configuration of this server (admin commands allowed: it is ours).</summary>
    public string Configuration => $"127.0.0.1:{Port},allowAdmin=true,abortConnect=false";

    public Task<ConnectionMultiplexer> ConnectAsync() => ConnectionMultiplexer.ConnectAsync(Configuration);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        Port = FreePort();
        using var start = Process.Start(new ProcessStartInfo("redis-server",
            ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--daemonize", "yes",
             "--save", "", "--appendonly", "no", "--dir", _directory, "--pidfile", Path.Combine(_directory, "redis.pid")])
        { RedirectStandardOutput = true, RedirectStandardError = true })!;
        await start.WaitForExitAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                await using var probe = await ConnectAsync();
                await probe.GetDatabase().PingAsync();
                return;
            }
            catch (RedisException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
    }

    public async Task DisposeAsync()
    {
        // Stopped by its own pid (never by name: other redis-servers on this machine are not ours).
        var pidFile = Path.Combine(_directory, "redis.pid");
        if (File.Exists(pidFile) && int.TryParse((await File.ReadAllTextAsync(pidFile)).Trim(), out var pid))
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
                await process.WaitForExitAsync();
            }
            catch (ArgumentException)
            {
                // already gone
            }
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
