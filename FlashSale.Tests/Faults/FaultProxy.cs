using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace FlashSale.Tests.Faults;

/// <summary>
/// A TCP proxy of our own between a host and PostgreSQL or Redis, to inject the network's faults: answers arriving
/// later (<see cref="Latency"/>), connections cut in the middle (<see cref="CutAll"/>), new connections refused
/// (<see cref="Refusing"/>). Every connection is a pair of sockets and two pumps; latency is applied per chunk with
/// its arrival time, so it delays without throttling (a pipelined client still gets its answers back to back).
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _targetPort;
    private readonly ConcurrentDictionary<Link, byte> _links = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private long _latencyTicks;
    private int _refusing;

    public FaultProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start(512);
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The port clients connect to instead of the target's.</summary>
    public int Port { get; }

    /// <summary>How much later every byte from the server reaches the client: each round trip is this much slower.</summary>
    public TimeSpan Latency
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _latencyTicks));
        set => Interlocked.Exchange(ref _latencyTicks, value.Ticks);
    }

    /// <summary>While true, every new connection is reset as soon as it is accepted (as a closed port would).</summary>
    public bool Refusing
    {
        get => Volatile.Read(ref _refusing) == 1;
        set => Volatile.Write(ref _refusing, value ? 1 : 0);
    }

    /// <summary>Connections open through the proxy right now.</summary>
    public int OpenConnections => _links.Count;

    /// <summary>Resets every open connection (both sides see a connection reset); returns how many were cut.</summary>
    public int CutAll()
    {
        var cut = 0;
        foreach (var link in _links.Keys)
        {
            link.Reset();
            cut++;
        }
        return cut;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        CutAll();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptSocketAsync(_stop.Token);
            if (Refusing)
            {
                Abort(client);
                continue;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            // The target refuses: so does the proxy.
            Abort(client);
            server.Dispose();
            return;
        }
        var link = new Link(client, server);
        _links[link] = 0;
        try
        {
            await Task.WhenAll(PumpAsync(client, server, delayed: false), PumpAsync(server, client, delayed: true));
        }
        finally
        {
            _links.TryRemove(link, out _);
            link.Reset();
        }
    }

    /// <summary>Copies one direction; a failure on either side resets both (the link is reset by the caller).</summary>
    private async Task PumpAsync(Socket from, Socket to, bool delayed)
    {
        var chunks = Channel.CreateUnbounded<(long Due, byte[] Data, int Length)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writing = Task.Run(async () =>
        {
            try
            {
                await foreach (var (due, data, length) in chunks.Reader.ReadAllAsync())
                {
                    var wait = due - Stopwatch.GetTimestamp();
                    if (wait > 0)
                    {
                        await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
                    }
                    await to.SendAsync(data.AsMemory(0, length), SocketFlags.None);
                }
                to.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                Abort(from);
                Abort(to);
            }
        });
        try
        {
            while (true)
            {
                var buffer = new byte[16 * 1024];
                var read = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (read == 0)
                {
                    break;
                }
                var due = Stopwatch.GetTimestamp() + (delayed ? (long)(Latency.TotalSeconds * Stopwatch.Frequency) : 0);
                chunks.Writer.TryWrite((due, buffer, read));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Abort(from);
            Abort(to);
        }
        finally
        {
            chunks.Writer.TryComplete();
        }
        await writing;
    }

    /// <summary>Closes with a reset (linger 0), not a polite FIN: the peer sees the connection broken.</summary>
    private static void Abort(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private sealed class Link(Socket client, Socket server)
    {
        public void Reset()
        {
            Abort(client);
            Abort(server);
        }
    }
}
