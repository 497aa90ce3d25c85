using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace FlashSale.Host.Realtime;

/// <summary>The kinds of sale frame; each socket keeps at most the latest pending frame of each kind per sale.</summary>
public enum FrameKind : byte
{
    Stock = (byte)'s',
    Queue = (byte)'q',
    Price = (byte)'p',
    Sale = (byte)'a',

    /// <summary>"The sale you asked about opens soon", to one shopper's sockets (Notifications' reminder frame).</summary>
    Reminder = (byte)'r',
}

/// <summary>
/// Builds the server's JSON frames, once per event. A sale frame travels between hosts as a relay message: a short
/// ASCII header <c>&lt;sale id, 36&gt;&lt;kind, 1&gt;&lt;seq&gt;|&lt;value&gt;|</c> followed by the frame bytes that every
/// subscriber receives unchanged. <c>seq</c> (0 = unordered) lets a host drop a frame that arrives after a newer one
/// of the same kind; <c>value</c> is the remaining stock (stock) or admitted-through counter (queue).
/// </summary>
public static class LiveFrames
{
    public const int SaleIdLength = 36;

    public static byte[] Stock(Guid saleId, long seq, int remainingStock, string status, long sentAt) =>
        Build(saleId, FrameKind.Stock, seq, remainingStock, w =>
        {
            w.WriteString("type"u8, "stock"u8);
            w.WriteString("saleId"u8, saleId);
            w.WriteNumber("remainingStock"u8, remainingStock);
            w.WriteString("status"u8, status);
            w.WriteNumber("sentAt"u8, sentAt);
        });

    /// <summary>
    /// The line moved. <paramref name="returning"/> skipped shoppers who came back are admitted first (ahead of every
    /// waiting ticket); <paramref name="absentAhead"/> holds flattened (ticket, absent tickets after
    /// <paramref name="admittedThrough"/> up to it) pairs, written as <c>[[ticket, absent], …]</c> only while
    /// someone is away: a screen holding ticket T counts <c>T − admittedThrough − absent(at the last pair below T) +
    /// returning</c> present shoppers ahead, without asking the server. <paramref name="paused"/> says whether the
    /// operator holds admission (shoppers keep their places; the page says so).
    /// </summary>
    public static byte[] Queue(Guid saleId, long seq, long admittedThrough, int ratePerSecond, long sentAt, long returning = 0,
        long[]? absentAhead = null, bool paused = false) =>
        Build(saleId, FrameKind.Queue, seq, admittedThrough, w =>
        {
            w.WriteString("type"u8, "queue"u8);
            w.WriteString("saleId"u8, saleId);
            w.WriteNumber("admittedThrough"u8, admittedThrough);
            w.WriteNumber("ratePerSecond"u8, ratePerSecond);
            if (returning > 0)
            {
                w.WriteNumber("returning"u8, returning);
            }
            if (absentAhead is { Length: > 0 })
            {
                w.WriteStartArray("absentAhead"u8);
                for (var i = 0; i + 1 < absentAhead.Length; i += 2)
                {
                    w.WriteStartArray();
                    w.WriteNumberValue(absentAhead[i]);
                    w.WriteNumberValue(absentAhead[i + 1]);
                    w.WriteEndArray();
                }
                w.WriteEndArray();
            }
            w.WriteBoolean("paused"u8, paused);
            w.WriteNumber("sentAt"u8, sentAt);
        });

    public static byte[] Price(Guid saleId, decimal salePrice, long sentAt) =>
        Build(saleId, FrameKind.Price, 0, 0, w =>
        {
            w.WriteString("type"u8, "price"u8);
            w.WriteString("saleId"u8, saleId);
            w.WriteNumber("salePrice"u8, salePrice);
            w.WriteNumber("sentAt"u8, sentAt);
        });

    public static byte[] Sale(Guid saleId, long seq, string status, long sentAt) =>
        Build(saleId, FrameKind.Sale, seq, 0, w =>
        {
            w.WriteString("type"u8, "sale"u8);
            w.WriteString("saleId"u8, saleId);
            w.WriteString("status"u8, status);
            w.WriteNumber("sentAt"u8, sentAt);
        });

    /// <summary>
    /// A sold-out waiting-room sale is on sale again (units came back from an expiry or a cancellation): the line
    /// resumes from where it stopped, in ticket order. Sent instead of the <c>sale</c> frame of that change, in its
    /// slot (a socket keeps the latest sale-kind frame), so it also says the status is <c>active</c>.
    /// </summary>
    public static byte[] Restock(Guid saleId, long seq, int remainingStock, long admittedThrough, long sentAt) =>
        Build(saleId, FrameKind.Sale, seq, 0, w =>
        {
            w.WriteString("type"u8, "restock"u8);
            w.WriteString("saleId"u8, saleId);
            w.WriteString("status"u8, "active"u8);
            w.WriteNumber("remainingStock"u8, remainingStock);
            w.WriteNumber("admittedThrough"u8, admittedThrough);
            w.WriteNumber("sentAt"u8, sentAt);
        });

    /// <summary>A frame for one socket only (no relay header).</summary>
    public static byte[] Error(string code, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type"u8, "error"u8);
            w.WriteString("code"u8, code);
            w.WriteString("message"u8, message);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static readonly byte[] Pong = """{"type":"pong"}"""u8.ToArray();

    /// <summary>The <c>sentAt</c> of a sale frame (its last field, Unix milliseconds), or 0 when it has none.</summary>
    public static long SentAt(ReadOnlySpan<byte> frame)
    {
        var at = frame.LastIndexOf("\"sentAt\":"u8);
        return at >= 0 && Utf8Parser.TryParse(frame[(at + 9)..], out long sentAt, out _) ? sentAt : 0;
    }

    /// <summary>The first byte of a bundle: never the first byte of a sale id (a hexadecimal digit).</summary>
    public const byte BundleMarker = (byte)'*';

    /// <summary>
    /// Several relay messages of one sale as one: <c>*</c>, then for each <c>&lt;length&gt;|&lt;message&gt;</c>. What one
    /// publisher tick has for a sale (stock, status and line at once) travels and is delivered together: every socket
    /// gets all of it in one go, so its frames leave in one write to the network rather than one each.
    /// </summary>
    public static byte[] Bundle(IReadOnlyList<byte[]> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var buffer = new ArrayBufferWriter<byte>(1 + messages.Sum(m => m.Length + 8));
        buffer.Write([BundleMarker]);
        foreach (var message in messages)
        {
            var digits = buffer.GetSpan(11);
            Utf8Formatter.TryFormat(message.Length, digits, out var written);
            digits[written] = (byte)'|';
            buffer.Advance(written + 1);
            buffer.Write(message);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Splits a bundle into its relay messages; false (and nothing added) when it is not a well-formed bundle.</summary>
    public static bool TryUnbundle(ReadOnlyMemory<byte> message, List<ReadOnlyMemory<byte>> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var span = message.Span;
        if (span.IsEmpty || span[0] != BundleMarker)
        {
            return false;
        }
        var start = parts.Count;
        var at = 1;
        while (at < span.Length)
        {
            if (!Utf8Parser.TryParse(span[at..], out int length, out var used) || length <= 0
                || at + used >= span.Length || span[at + used] != (byte)'|' || length > span.Length - (at + used + 1))
            {
                parts.RemoveRange(start, parts.Count - start);
                return false;
            }
            at += used + 1;
            parts.Add(message.Slice(at, length));
            at += length;
        }
        return parts.Count > start;
    }

    /// <summary>Splits a relay message; false when it is not one.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> message, out Guid saleId, out FrameKind kind, out long seq, out long value,
        out ReadOnlyMemory<byte> frame)
    {
        saleId = default;
        kind = default;
        seq = value = 0;
        frame = default;
        var span = message.Span;
        if (span.Length < SaleIdLength + 4 || !Utf8Parser.TryParse(span[..SaleIdLength], out saleId, out _, 'D'))
        {
            return false;
        }
        kind = (FrameKind)span[SaleIdLength];
        if (kind is not (FrameKind.Stock or FrameKind.Queue or FrameKind.Price or FrameKind.Sale))
        {
            return false;
        }
        var rest = span[(SaleIdLength + 1)..];
        if (!Utf8Parser.TryParse(rest, out seq, out var used) || used >= rest.Length || rest[used] != (byte)'|')
        {
            return false;
        }
        var at = SaleIdLength + 1 + used + 1;
        rest = span[at..];
        if (!Utf8Parser.TryParse(rest, out value, out used) || used >= rest.Length || rest[used] != (byte)'|')
        {
            return false;
        }
        frame = message[(at + used + 1)..];
        return frame.Length > 0;
    }

    private static byte[] Build(Guid saleId, FrameKind kind, long seq, long value, Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(192);
        var header = string.Create(CultureInfo.InvariantCulture, $"{saleId:D}{(char)kind}{seq}|{value}|");
        Encoding.ASCII.GetBytes(header, buffer);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
