using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using FlashSale.Load.Api;

namespace FlashSale.Load.Realtime;

/// <summary>One shopper's WebSocket: subscribes to the sale and feeds every frame to the shared <see cref="SaleFeed"/>.</summary>
internal sealed class SaleSocket : IAsyncDisposable
{
    /// <summary>Frames are small JSON objects; a larger one is assembled in a pooled buffer.</summary>
    private const int ReceiveBufferSize = 2048;

    private readonly WebSocket _socket;
    private readonly SaleFeed _feed;
    private readonly CancellationTokenSource _stop = new();
    private Task _receiving = Task.CompletedTask;
    private int _queueFrames;
    private int _disposed;
    private long _subscribedAtMs;
    private readonly TaskCompletionSource _firstFrame = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SaleSocket(WebSocket socket, SaleFeed feed)
    {
        _socket = socket;
        _feed = feed;
    }

    /// <summary>True once the host has sent this socket a queue frame.</summary>
    public bool HearsQueue => Volatile.Read(ref _queueFrames) > 0;

    /// <summary>Completes with the first frame the host sends (the subscription's latest frames): it follows the sale.</summary>
    public Task FirstFrame => _firstFrame.Task;

    /// <summary>Completes when the socket is done (closed by either side or dropped).</summary>
    public Task Closed => _receiving;

    /// <summary>The host's /ws address; the shopper's token goes in the Authorization header, never the URL.</summary>
    public static Uri UriFor(Uri target)
    {
        var builder = new UriBuilder(target)
        {
            Scheme = target.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
            Path = "/ws",
        };
        return builder.Uri;
    }

    public static async Task<SaleSocket> ConnectAsync(
        Func<Uri, string, CancellationToken, Task<WebSocket>> connect, Uri uri, string accessToken, Guid saleId, SaleFeed feed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connect);
        var ws = await connect(uri, accessToken, ct);
        var socket = new SaleSocket(ws, feed);
        try
        {
            var subscribe = JsonSerializer.SerializeToUtf8Bytes(new SubscribeFrame("subscribe", saleId), ApiJsonContext.Default.SubscribeFrame);
            socket._subscribedAtMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await ws.SendAsync(subscribe, WebSocketMessageType.Text, endOfMessage: true, ct);
        }
        catch
        {
            ws.Dispose();
            throw;
        }

        feed.SocketOpened();
        socket._receiving = socket.ReceiveAsync();
        return socket;
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[ReceiveBufferSize];
        var writer = new ArrayBufferWriter<byte>();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var result = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                if (result.EndOfMessage && writer.WrittenCount == 0)
                {
                    Handle(buffer.AsSpan(0, result.Count));
                    continue;
                }

                writer.Write(buffer.AsSpan(0, result.Count));
                if (result.EndOfMessage)
                {
                    Handle(writer.WrittenSpan);
                    writer.Clear();
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException or IOException)
        {
            // The run is closing the socket, or the host dropped it: either way this socket is done.
        }
        finally
        {
            _feed.SocketClosed();
        }
    }

    private void Handle(ReadOnlySpan<byte> frame)
    {
        _firstFrame.TrySetResult();
        if (_feed.OnFrame(frame, _subscribedAtMs) == "queue")
        {
            Interlocked.Increment(ref _queueFrames);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // A page may be closed twice (an abandoner leaves, then the run ends): the second time is a no-op.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "load run over", timeout.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException or IOException)
        {
            // Closing politely is best effort; the socket is disposed below either way.
        }

        await _stop.CancelAsync();
        await _receiving;
        _socket.Dispose();
        _stop.Dispose();
    }
}
