using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlashSale.Host.Infrastructure.Security;

/// <summary>
/// Every JSON string the API reads passes through <see cref="Converter"/>: control characters other than tab, line
/// feed and carriage return (NUL included, which PostgreSQL's text type cannot even store) and unpaired surrogates
/// (not encodable as UTF-8) are refused with a 400 naming the field, before any handler or database sees them.
/// </summary>
public static class TextInput
{
    public const string Refusal = "Control characters and unpaired surrogates are not allowed.";

    public static bool IsClean(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsControl(c) && c is not ('\t' or '\n' or '\r'))
            {
                return false;
            }
            if (char.IsSurrogate(c))
            {
                if (!char.IsHighSurrogate(c) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }
                i++;
            }
        }
        return true;
    }

    public static JsonConverter<string> Converter { get; } = new CleanStringConverter();

    private sealed class CleanStringConverter : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            string? value;
            try
            {
                value = reader.GetString();
            }
            catch (InvalidOperationException) when (reader.TokenType == JsonTokenType.String)
            {
                // An escaped lone surrogate ("\ud800") cannot become a .NET string: the same refusal, naming the field.
                throw new JsonException(Refusal);
            }
            return value is null || IsClean(value) ? value : throw new JsonException(Refusal);
        }

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
        {
            ArgumentNullException.ThrowIfNull(writer);
            writer.WriteStringValue(value);
        }
    }
}
