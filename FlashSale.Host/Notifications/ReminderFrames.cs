using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FlashSale.Host.Infrastructure.Events;

namespace FlashSale.Host.Notifications;

/// <summary>
/// The live <c>reminder</c> frame (<c>{"type":"reminder","saleId":…,"startsAt":…}</c>) for the shoppers who asked,
/// sent when their reminders are queued. Their sockets may be on any host, so the scheduler publishes one relay
/// message per chunk of shoppers on the deployment's event channel (<c>reminder|sale|startsAtMs|id,id,…</c>) and every
/// host hands the frame to its own sockets of those shoppers: 100,000 reminders are 100 messages, not 100,000.
/// </summary>
public sealed class ReminderFrames(IEventChannel channel, IShopperSockets sockets)
{
    private const string Prefix = "reminder|";
    private const int ShoppersPerMessage = 1_000;

    /// <summary>Listens on the channel (call once at start).</summary>
    public void Start() => channel.Subscribe(Relay);

    public async Task PublishAsync(Guid saleId, DateTime startsAt, IReadOnlyList<Guid> userIds)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        var startsAtMs = new DateTimeOffset(DateTime.SpecifyKind(startsAt, DateTimeKind.Utc)).ToUnixTimeMilliseconds();
        for (var i = 0; i < userIds.Count; i += ShoppersPerMessage)
        {
            var chunk = userIds.Skip(i).Take(ShoppersPerMessage).Select(u => u.ToString("N"));
            var message = string.Create(CultureInfo.InvariantCulture, $"{Prefix}{saleId:N}|{startsAtMs}|{string.Join(',', chunk)}");
            await channel.PublishAsync(Encoding.ASCII.GetBytes(message));
        }
    }

    /// <summary>The frame a shopper's page receives.</summary>
    public static byte[] Frame(Guid saleId, long startsAtMs)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type"u8, "reminder"u8);
            w.WriteString("saleId"u8, saleId);
            w.WriteString("startsAt"u8, DateTimeOffset.FromUnixTimeMilliseconds(startsAtMs));
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private void Relay(ReadOnlyMemory<byte> message)
    {
        var span = message.Span;
        if (!span.StartsWith("reminder|"u8))
        {
            return; // another feature's message
        }
        var parts = Encoding.ASCII.GetString(span[Prefix.Length..]).Split('|');
        if (parts.Length != 3 || !Guid.TryParseExact(parts[0], "N", out var saleId)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var startsAtMs))
        {
            return;
        }
        var users = parts[2].Split(',').Select(u => Guid.TryParseExact(u, "N", out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty);
        sockets.SendToShoppers(saleId, users, Frame(saleId, startsAtMs));
    }
}
