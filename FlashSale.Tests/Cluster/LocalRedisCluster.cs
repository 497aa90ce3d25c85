using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FlashSale.Tests.Cluster;

/// <summary>
/// A private Redis Cluster for one test fixture, started with the same script a shop uses
/// (<c>scripts/services.sh cluster up</c>) in a temporary state directory on free ports below 22768, and stopped
/// (its data deleted) at the end. Private because tests kill its nodes; the shared Redis at 6379 is never touched.
/// If it cannot start, the fixture fails with the script's own output: these tests are never skipped silently.
/// </summary>
public sealed class LocalRedisCluster(int primaries, int replicasEach) : IAsyncDisposable
{
    private readonly string _stateDir = Path.Combine(Path.GetTempPath(), $"flashsale-cluster-{Guid.NewGuid():N}");

    public int FirstPort { get; private set; }

    public int NodeCount => primaries * (1 + replicasEach);

    public IEnumerable<int> Ports => Enumerable.Range(FirstPort, NodeCount);

    /// <summary>Every node as a StackExchange.Redis seed list (what ConnectionStrings:Redis gets).</summary>
    public string Seeds => string.Join(',', Ports.Select(p => $"127.0.0.1:{p}"));

    public async Task StartAsync()
    {
        string? lastOutput = null;
        // Another test run on this machine may take a port between our check and redis-server's bind: try a few bases.
        for (var attempt = 0; attempt < 4; attempt++)
        {
            FirstPort = FreeBase();
            var (code, output) = await RunScriptAsync("up");
            if (code == 0)
            {
                return;
            }
            lastOutput = output;
            await RunScriptAsync("down");
        }
        throw new InvalidOperationException(
            $"The Redis Cluster for the cluster tests could not start (scripts/services.sh cluster up):{Environment.NewLine}{lastOutput}");
    }

    /// <summary>The pid of the node listening on <paramref name="port"/>.</summary>
    public int PidOf(int port) =>
        int.Parse(File.ReadAllText(Path.Combine(_stateDir, "cluster", port.ToString(CultureInfo.InvariantCulture), "redis.pid")).Trim(),
            CultureInfo.InvariantCulture);

    /// <summary>SIGKILL, like a machine that lost power: nothing is flushed or handed over.</summary>
    public void Kill(int port)
    {
        using var process = Process.GetProcessById(PidOf(port));
        process.Kill();
        process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (FirstPort != 0)
        {
            await RunScriptAsync("down");
        }
        try
        {
            Directory.Delete(_stateDir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private async Task<(int Code, string Output)> RunScriptAsync(string verb)
    {
        var info = new ProcessStartInfo("bash", [Path.Combine(RepositoryRoot(), "scripts", "services.sh"), "cluster", verb])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["FLASHSALE_STATE_DIR"] = _stateDir;
        info.Environment["FLASHSALE_CLUSTER_PORT"] = FirstPort.ToString(CultureInfo.InvariantCulture);
        info.Environment["FLASHSALE_CLUSTER_MASTERS"] = primaries.ToString(CultureInfo.InvariantCulture);
        info.Environment["FLASHSALE_CLUSTER_REPLICAS"] = replicasEach.ToString(CultureInfo.InvariantCulture);
        // Only a cluster with replicas has a failover to make fast. Without, the short timeout only lets a primary
        // stalled on a loaded CI machine be marked failed, and the whole cluster answers CLUSTERDOWN meanwhile.
        info.Environment["FLASHSALE_CLUSTER_NODE_TIMEOUT_MS"] = replicasEach == 0 ? "15000" : "2000";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not run bash.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>A base port whose nodes and cluster-bus ports (+10000) are all free, below the ephemeral range.</summary>
    private int FreeBase()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var candidate = Random.Shared.Next(11_000, 12_700);
            if (Enumerable.Range(candidate, NodeCount).All(p => IsFree(p) && IsFree(p + 10_000)))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException("No free ports for a Redis Cluster between 11000 and 22768.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FlashSale.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("FlashSale.slnx not found above the test binaries.");
    }
}
