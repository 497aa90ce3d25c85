using System.Net.WebSockets;

namespace FlashSale.Testing.WebSockets;

/// <summary>
/// An open WebSocket with no peer: nothing is ever received, closing and disposing do nothing, and both
/// <c>SendAsync</c> overloads come to <see cref="SendFrameAsync"/>, the one thing each fake decides.
/// </summary>
public abstract class FakeWebSocket : WebSocket
{
    private volatile bool _aborted;

    /// <summary>Whether <see cref="Abort"/> was called (the state then reads Aborted).</summary>
    public bool Aborted => _aborted;

    public override WebSocketCloseStatus? CloseStatus => null;

    public override string? CloseStatusDescription => null;

    public override WebSocketState State => _aborted ? WebSocketState.Aborted : WebSocketState.Open;

    public override string? SubProtocol => null;

    /// <summary>One frame sent; the returned task is the send's completion.</summary>
    protected abstract ValueTask SendFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken);

    public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
        SendFrameAsync(buffer, cancellationToken).AsTask();

    public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
        SendFrameAsync(buffer, cancellationToken);

    /// <summary>Never completes: the peer never speaks.</summary>
    public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) =>
        new TaskCompletionSource<WebSocketReceiveResult>().Task;

    public override void Abort() => _aborted = true;

    public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) => Task.CompletedTask;

    public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Dispose() => GC.SuppressFinalize(this);
}
