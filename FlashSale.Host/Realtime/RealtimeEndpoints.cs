using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using FlashSale.Host.Infrastructure.Problems;
using FlashSale.Host.Infrastructure.Security;
using FlashSale.Host.Sales;
using Microsoft.Extensions.Options;

namespace FlashSale.Host.Realtime;

/// <summary>
/// <c>GET /ws</c>: one raw WebSocket per page, JSON text frames. A one-use ticket comes as <c>?ticket=</c> (from
/// <c>POST /api/v1/realtime/ticket</c>) or a bearer token in the Authorization header; without a valid one the upgrade
/// is refused with a 401 problem, from a foreign page's origin with 403, past the user's socket cap with 429. Client frames:
/// <c>{"type":"subscribe","saleId":…}</c>, <c>{"type":"unsubscribe","saleId":…}</c>, <c>{"type":"ping"}</c>.
/// A bad frame gets an error frame and the socket stays open; see <see cref="ErrorCodes"/> and the close codes in
/// docs/REALTIME.md.
/// </summary>
public static partial class RealtimeEndpoints
{
    /// <summary>The <c>code</c> of error frames.</summary>
    public static class ErrorCodes
    {
        public const string MalformedFrame = "malformed-frame";
        public const string UnknownType = "unknown-type";
        public const string InvalidSaleId = "invalid-sale-id";
        public const string UnknownSale = "unknown-sale";
        public const string TooManySubscriptions = "too-many-subscriptions";
    }

    public static IEndpointRouteBuilder MapRealtime(this IEndpointRouteBuilder routes)
    {
        // No RequireAuthorization: the endpoint checks the token itself (SocketTokens), so the socket holds no principal,
        // and it is served ahead of the middleware that would keep state for the socket's whole life (AsLongLived).
        routes.MapGet("/ws", Connect).WithTags("Realtime").AsLongLived();
        routes.MapSocketTickets();
        return routes;
    }

    public static async Task<IResult> Connect(HttpContext http, RealtimeHub hub, SaleDefinitions definitions, SocketTokens tokens,
        SocketAdmission admission, IOptions<RealtimeOptions> options, TimeProvider clock, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(admission);
        if (!admission.OriginAllowed(http.Request))
        {
            return Problems.Of(StatusCodes.Status403Forbidden, ProblemTypes.OriginNotAllowed, "Sockets from this page's origin are not allowed.",
                "Open the socket from the shop's own page (Realtime:AllowedOrigins lists other origins).");
        }
        if (await tokens.ValidateAsync(http.Request) is not { } identity)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Problems.Unauthorized(ProblemTypes.Unauthorized, "A valid socket ticket or bearer token is required.");
        }
        if (!http.WebSockets.IsWebSocketRequest)
        {
            return Problems.Of(StatusCodes.Status400BadRequest, ProblemTypes.MalformedRequest, "This address only speaks WebSocket.",
                "Open a WebSocket (Upgrade: websocket) to receive live updates.");
        }
        if (!admission.TryEnter(identity.UserId))
        {
            return Problems.RetryAfter(http, 5, StatusCodes.Status429TooManyRequests, ProblemTypes.TooManySockets, "Too many open sockets for this account.",
                "Close another tab of the shop, or wait for it to disconnect.");
        }
        try
        {
            var settings = options.Value;
            using var socket = await http.WebSockets.AcceptWebSocketAsync();
            DropRequestHeaders(http.Request.Headers);
            var connection = new LiveConnection(socket, clock, (settings.MaxSubscriptionsPerSocket * 4) + 32, identity.ExpiresAtUnixMs, identity.UserId)
            {
                SecurityStamp = identity.SecurityStamp,
            };
            hub.Register(connection);
            try
            {
                await ReceiveAsync(socket, connection, hub, definitions, settings, loggers.CreateLogger("FlashSale.Realtime"));
            }
            finally
            {
                hub.Unregister(connection);
            }
            // Let a close frame already queued go out before the socket is disposed.
            await connection.WaitClosedAsync(TimeSpan.FromSeconds(2), clock);
        }
        finally
        {
            admission.Leave(identity.UserId);
        }
        return Results.Empty;
    }

    /// <summary>
    /// Kestrel keeps the upgrade request's headers as long as the socket lives, and nothing reads them after the
    /// handshake; the largest is a non-browser client's bearer token (≈ 1.2 KB a socket), a browser's are its cookies and
    /// user agent. Each header is removed one by one: <c>Clear()</c> only marks Kestrel's known headers unset and keeps
    /// their values (to reuse them on the connection's next request, which an upgraded connection never has).
    /// </summary>
    private static void DropRequestHeaders(IHeaderDictionary headers)
    {
        foreach (var name in headers.Keys.ToArray())
        {
            headers.Remove(name);
        }
    }

    private static async Task ReceiveAsync(WebSocket socket, LiveConnection connection, RealtimeHub hub, SaleDefinitions definitions,
        RealtimeOptions settings, ILogger logger)
    {
        // No cancellation token: a token registration would live as long as each pending receive (all of a socket's
        // life), and reading RequestAborted makes Kestrel create a token source per socket. A dropped connection or
        // LiveConnection.Abort ends the receive with an exception instead.
        var errors = 0;
        var closing = false;
        var limit = settings.MaxFrameBytes;
        while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
        {
            ValueWebSocketReceiveResult first;
            try
            {
                // Wait for data without holding a buffer: 10,000 idle sockets hold no receive memory.
                first = await socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
            {
                return;
            }
            if (first.MessageType == WebSocketMessageType.Close)
            {
                if (socket.State == WebSocketState.CloseReceived)
                {
                    connection.RequestClose(WebSocketCloseStatus.NormalClosure, "bye");
                }
                return;
            }
            var buffer = ArrayPool<byte>.Shared.Rent(limit + 1);
            try
            {
                var length = 0;
                var end = first.EndOfMessage;
                var type = first.MessageType;
                var tooBig = false;
                while (!end)
                {
                    ValueWebSocketReceiveResult part;
                    try
                    {
                        // Past the limit the rest of the message is read into the same spare space and dropped.
                        var room = tooBig ? buffer.AsMemory(0, limit + 1) : buffer.AsMemory(length, limit + 1 - length);
                        part = await socket.ReceiveAsync(room, CancellationToken.None);
                    }
                    catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
                    {
                        return;
                    }
                    if (part.MessageType == WebSocketMessageType.Close)
                    {
                        if (socket.State == WebSocketState.CloseReceived)
                        {
                            connection.RequestClose(WebSocketCloseStatus.NormalClosure, "bye");
                        }
                        return;
                    }
                    if (!tooBig)
                    {
                        length += part.Count;
                        tooBig = length > limit;
                    }
                    end = part.EndOfMessage;
                }
                if (closing)
                {
                    continue;
                }
                if (tooBig)
                {
                    closing = true;
                    connection.RequestClose(WebSocketCloseStatus.MessageTooBig, $"Frames are limited to {limit} bytes.");
                    continue;
                }
                var error = type == WebSocketMessageType.Text
                    ? await HandleAsync(buffer.AsMemory(0, length), connection, hub, definitions, settings)
                    : (ErrorCodes.MalformedFrame, "Only JSON text frames are understood.");
                if (error is { } bad)
                {
                    connection.EnqueueOwn(LiveFrames.Error(bad.Code, bad.Message));
                    if (++errors >= settings.MaxErrorsPerSocket)
                    {
                        closing = true;
                        connection.RequestClose(WebSocketCloseStatus.PolicyViolation, "Too many bad frames.");
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        LogClosed(logger, socket.State);
    }

    private static async ValueTask<(string Code, string Message)?> HandleAsync(ReadOnlyMemory<byte> frame, LiveConnection connection,
        RealtimeHub hub, SaleDefinitions definitions, RealtimeOptions settings)
    {
        if (!TryRead(frame.Span, out var type, out var saleIdText))
        {
            return (ErrorCodes.MalformedFrame, "Send a JSON object such as {\"type\":\"subscribe\",\"saleId\":\"…\"}.");
        }
        switch (type)
        {
            case "ping":
                connection.EnqueueOwn(LiveFrames.Pong);
                return null;
            case "subscribe" or "unsubscribe":
                break;
            case null:
                return (ErrorCodes.MalformedFrame, "The frame has no \"type\".");
            default:
                return (ErrorCodes.UnknownType, "Known types: subscribe, unsubscribe, ping.");
        }
        if (!Guid.TryParse(saleIdText, out var saleId) || saleId == Guid.Empty)
        {
            return (ErrorCodes.InvalidSaleId, "\"saleId\" must be a sale's UUID.");
        }
        if (type == "unsubscribe")
        {
            if (connection.Subscriptions.Remove(saleId))
            {
                hub.Unsubscribe(connection, saleId);
            }
            return null;
        }
        if (connection.Subscriptions.Contains(saleId))
        {
            return null;
        }
        if (connection.Subscriptions.Count >= settings.MaxSubscriptionsPerSocket)
        {
            return (ErrorCodes.TooManySubscriptions, $"A socket may follow at most {settings.MaxSubscriptionsPerSocket} sales.");
        }
        if (await definitions.FindAsync(saleId, CancellationToken.None) is null)
        {
            return (ErrorCodes.UnknownSale, "No sale has this id.");
        }
        connection.Subscriptions.Add(saleId);
        hub.Subscribe(connection, saleId);
        return null;
    }

    /// <summary>Reads "type" and "saleId" of a JSON object; false when the frame is not a JSON object.</summary>
    internal static bool TryRead(ReadOnlySpan<byte> json, out string? type, out string? saleId)
    {
        type = saleId = null;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 8 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isType = reader.ValueTextEquals("type"u8);
                var isSale = !isType && reader.ValueTextEquals("saleId"u8);
                reader.Read();
                if ((isType || isSale) && reader.TokenType == JsonTokenType.String)
                {
                    if (isType)
                    {
                        type = reader.GetString();
                    }
                    else
                    {
                        saleId = reader.GetString();
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
            return reader.TokenType == JsonTokenType.EndObject && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Live socket ended in state {State}")]
    private static partial void LogClosed(ILogger logger, WebSocketState state);
}
