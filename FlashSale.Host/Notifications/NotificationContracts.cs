using System.Text.Json;
using System.Text.Json.Serialization;
using FlashSale.Host.Infrastructure.Problems;

namespace FlashSale.Host.Notifications;

public sealed record ReminderResponse(Guid SaleId, DateTime StartsAt, DateTime RemindAt);

/// <summary>Which kinds of email a shopper gets; every kind is on until turned off.</summary>
public sealed record NotificationPreferences(bool Reserved, bool Paid, bool Expired, bool Cancelled, bool SaleOpening, bool PriceDrop)
{
    public static NotificationPreferences From(IReadOnlySet<string> off) => new(
        !off.Contains(NotificationKinds.Reserved), !off.Contains(NotificationKinds.Paid), !off.Contains(NotificationKinds.Expired),
        !off.Contains(NotificationKinds.Cancelled), !off.Contains(NotificationKinds.SaleOpening), !off.Contains(NotificationKinds.PriceDrop));
}

/// <summary>
/// A change of preferences: a kind left out (or sent as null) keeps its setting. A change must name at least one kind,
/// and nothing else: a body of unknown fields is a mistake to refuse, not a change of nothing to accept.
/// </summary>
public sealed record PreferencesChange(bool? Reserved, bool? Paid, bool? Expired, bool? Cancelled, bool? SaleOpening, bool? PriceDrop)
{
    public const string Known = "reserved, paid, expired, cancelled, saleOpening, priceDrop";

    /// <summary>Every field of the body that is not a preference (the serializer would otherwise skip it silently).</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; init; }

    public ValidationErrors Validate()
    {
        var errors = new ValidationErrors();
        foreach (var field in Unknown?.Keys ?? Enumerable.Empty<string>())
        {
            errors.Add(field, $"Not a notification preference: send only {Known}, each true or false.");
        }
        return errors.IsValid && !Changes().Any() ? errors.Add("body", $"Send at least one of {Known}, each true or false.") : errors;
    }

    public IEnumerable<(string Kind, bool On)> Changes()
    {
        (string, bool?)[] all =
        [
            (NotificationKinds.Reserved, Reserved), (NotificationKinds.Paid, Paid), (NotificationKinds.Expired, Expired),
            (NotificationKinds.Cancelled, Cancelled), (NotificationKinds.SaleOpening, SaleOpening), (NotificationKinds.PriceDrop, PriceDrop),
        ];
        return all.Where(c => c.Item2 is not null).Select(c => (c.Item1, c.Item2!.Value));
    }
}

public sealed record NotificationItem(long Id, string Kind, Guid SubjectId, string State, int Attempts, DateTime CreatedAt, DateTime? SentAt);

public sealed record DeadLetter(long Id, string Kind, Guid UserId, string Email, Guid SubjectId, int Attempts, string? LastError, DateTime CreatedAt);

public sealed record UnsubscribeResponse(Guid UserId, string Kind, bool Unsubscribed);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ReminderResponse))]
[JsonSerializable(typeof(NotificationPreferences))]
[JsonSerializable(typeof(PreferencesChange))]
[JsonSerializable(typeof(NotificationItem[]))]
[JsonSerializable(typeof(DeadLetter[]))]
[JsonSerializable(typeof(UnsubscribeResponse))]
internal sealed partial class NotificationsJsonContext : JsonSerializerContext;
