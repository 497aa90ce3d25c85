using System.Globalization;
using System.Net;
using System.Text;

namespace FlashSale.Host.Notifications;

/// <summary>The subject, plain-text and HTML bodies of one message.</summary>
public sealed record RenderedEmail(string Subject, string Text, string Html);

/// <summary>
/// The templates: per kind, a subject and a few lines, each line written once and rendered twice (plain text as
/// is, HTML encoded into one layout), so the two bodies never say different things. Times are UTC, amounts have two
/// decimals, and every message links back to the page and to its one-click unsubscribe.
/// </summary>
public static class NotificationTemplates
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static RenderedEmail Render(OutboxMessage message, string shopName, string pageUrl, string unsubscribeUrl)
    {
        ArgumentNullException.ThrowIfNull(message);
        var product = message.ProductName ?? "your item";
        var (subject, lines, action) = message.Kind switch
        {
            NotificationKinds.Reserved => (
                $"Reserved: {product}, pay by {Time(message.ExpiresAt)}",
                new[]
                {
                    $"You reserved {message.Quantity} × {product} at {Amount(message.UnitPrice)} each, {Amount(message.TotalPrice)} in all.",
                    $"Pay by {Time(message.ExpiresAt)} UTC; after that the reservation ends and the units go back on sale.",
                },
                "Pay for your order"),
            NotificationKinds.Paid => (
                $"Paid: {product}",
                [$"We received {Amount(message.TotalPrice)} for {message.Quantity} × {product}. Thank you."],
                "See your orders"),
            NotificationKinds.Expired => (
                $"Expired: {product}",
                [$"Your reservation of {message.Quantity} × {product} ({Amount(message.TotalPrice)}) was not paid by {Time(message.ExpiresAt)} UTC.",
                    "It has ended and the units went back on sale. Nothing was charged."],
                "See your orders"),
            NotificationKinds.Cancelled => (
                $"Cancelled: {product}",
                [$"Your reservation of {message.Quantity} × {product} ({Amount(message.TotalPrice)}) is cancelled and the units went back on sale.",
                    "Nothing was charged."],
                "See your orders"),
            NotificationKinds.SaleOpening => (
                $"{product} goes on sale at {Time(message.StartsAt)} UTC",
                [$"You asked us to tell you: {product} goes on sale at {Time(message.StartsAt)} UTC for {Amount(message.SalePrice)}.",
                    "Stock is limited and goes first come, first served."],
                "Go to the sale"),
            NotificationKinds.PriceDrop => (
                $"Price drop: {product} now {Amount(message.SalePrice)}",
                [$"{product} is now {Amount(message.SalePrice)} in the sale you follow (opening {Time(message.StartsAt)} UTC)."],
                "Go to the sale"),
            _ => throw new ArgumentException($"No template for '{message.Kind}'.", nameof(message)),
        };
        var greeting = $"Hello {message.DisplayName},";
        var footer = $"You get this email because of your account at {shopName}. To stop emails like this one: {unsubscribeUrl}";

        var text = new StringBuilder().AppendLine(greeting).AppendLine();
        foreach (var line in lines)
        {
            text.AppendLine(line);
        }
        text.AppendLine().AppendLine(Invariant, $"{action}: {pageUrl}").AppendLine().AppendLine("— " + shopName).AppendLine().AppendLine(footer);

        var html = new StringBuilder()
            .Append("<!doctype html><html><body style=\"font-family:sans-serif;max-width:36em\">")
            .Append(Invariant, $"<p>{Encode(greeting)}</p>");
        foreach (var line in lines)
        {
            html.Append(Invariant, $"<p>{Encode(line)}</p>");
        }
        html.Append(Invariant, $"<p><a href=\"{Encode(pageUrl)}\">{Encode(action)}</a></p>")
            .Append(Invariant, $"<p>— {Encode(shopName)}</p>")
            .Append(Invariant, $"<p style=\"color:#666;font-size:smaller\">You get this email because of your account at {Encode(shopName)}. ")
            .Append(Invariant, $"<a href=\"{Encode(unsubscribeUrl)}\">Unsubscribe from these emails</a>.</p>")
            .Append("</body></html>");
        return new RenderedEmail($"{shopName}: {subject}", text.ToString(), html.ToString());
    }

    /// <summary>Where the message's action button leads: the shopper's orders, or the sale.</summary>
    public static string PagePath(OutboxMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return NotificationKinds.IsOrderKind(message.Kind) ? "/#/orders" : $"/#/sale/{message.SaleId ?? message.SubjectId}";
    }

    private static string Amount(decimal? amount) => amount is { } value ? value.ToString("0.00", Invariant) : "?";

    private static string Time(DateTime? time) => time is { } value ? value.ToString("yyyy-MM-dd HH:mm", Invariant) : "?";

    private static string Encode(string value) => WebUtility.HtmlEncode(value);
}
