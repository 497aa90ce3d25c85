using System.Diagnostics;
using System.Globalization;
using FlashSale.Host.Infrastructure.Hosting;
using FlashSale.Tests.Chaos;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Hosting;

/// <summary>
/// The host's listening socket has room for a connect storm: 10,000 shoppers opening their sockets in one second
/// overflowed Kestrel's default accept queue (512), and every connection the kernel dropped there came back only
/// after a SYN retransmit, 1 s later (3 s the next time). Read from the kernel (<c>ss</c> shows a listener's backlog
/// as its Send-Q), on a real host process.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class ListenBacklogTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task The_host_listens_with_a_backlog_that_holds_a_connect_storm()
    {
        await using var host = new HostProcess(database);
        await host.RunVerbAsync("seed");
        await host.StartAsync();

        Assert.Equal(Math.Min(HostSetup.DefaultListenBacklog, SystemCap()), await ListenBacklogAsync(host.Port));
    }

    [Fact]
    public async Task The_backlog_follows_its_setting()
    {
        await using var host = new HostProcess(database, new Dictionary<string, string> { ["Connections__ListenBacklog"] = "1000" });
        await host.RunVerbAsync("seed");
        await host.StartAsync();

        Assert.Equal(Math.Min(1000, SystemCap()), await ListenBacklogAsync(host.Port));
    }

    /// <summary>The kernel caps every listener's backlog at net.core.somaxconn.</summary>
    private static int SystemCap() => int.Parse(File.ReadAllText("/proc/sys/net/core/somaxconn").Trim(), CultureInfo.InvariantCulture);

    private static async Task<int> ListenBacklogAsync(int port)
    {
        var info = new ProcessStartInfo("ss", ["-Hltn", $"sport = :{port}"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var ss = Process.Start(info)!;
        var output = await ss.StandardOutput.ReadToEndAsync();
        await ss.WaitForExitAsync();
        // State Recv-Q Send-Q Local Peer: for a listener, Send-Q is the backlog it was given.
        var columns = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return int.Parse(columns[2], CultureInfo.InvariantCulture);
    }
}
