using System.Text.Json;

namespace FlashSale.Load.Realtime;

/// <summary>
/// The few fields of a host frame the run acts on, read straight from its UTF-8 bytes. A rush delivers hundreds of
/// thousands of frames to the tool on the same cores as the host it measures, so reading one must not allocate: the
/// type comes back as an interned name and the status only as "is the sale over".
/// </summary>
internal readonly record struct FrameFields(string? Type, Guid? SaleId, int? RemainingStock, bool Over, long? AdmittedThrough, long? SentAt)
{
    /// <summary>Reads a frame; null when it is not a JSON object (throws nothing for malformed input).</summary>
    public static FrameFields? Read(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return ReadObject(utf8);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static FrameFields? ReadObject(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        string? type = null;
        Guid? saleId = null;
        int? remaining = null;
        var over = false;
        long? through = null;
        long? sentAt = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.TokenType == JsonTokenType.String ? KnownType(ref reader) : null;
            }
            else if (reader.ValueTextEquals("saleId"u8))
            {
                reader.Read();
                saleId = reader.TokenType == JsonTokenType.String && reader.TryGetGuid(out var id) ? id : null;
            }
            else if (reader.ValueTextEquals("remainingStock"u8))
            {
                reader.Read();
                remaining = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var r) ? r : null;
            }
            else if (reader.ValueTextEquals("status"u8))
            {
                reader.Read();
                over = reader.TokenType == JsonTokenType.String && (reader.ValueTextEquals("sold_out"u8) || reader.ValueTextEquals("ended"u8));
            }
            else if (reader.ValueTextEquals("admittedThrough"u8))
            {
                reader.Read();
                through = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var t) ? t : null;
            }
            else if (reader.ValueTextEquals("sentAt"u8))
            {
                reader.Read();
                sentAt = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var s) ? s : null;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new FrameFields(type, saleId, remaining, over, through, sentAt);
    }

    /// <summary>Interned names so a frame never allocates its type or a new outcome bucket name.</summary>
    private static string KnownType(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("stock"u8) ? "stock"
        : reader.ValueTextEquals("queue"u8) ? "queue"
        : reader.ValueTextEquals("sale"u8) ? "sale"
        : reader.ValueTextEquals("price"u8) ? "price"
        : reader.ValueTextEquals("restock"u8) ? "restock"
        : "other";
}
