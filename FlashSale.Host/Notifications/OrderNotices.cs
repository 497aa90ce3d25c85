using Microsoft.Extensions.Options;

namespace FlashSale.Host.Notifications;

/// <summary>
/// The outbox write of an order's change, for the statement that makes the change: a CTE to append after the one
/// that returns the changed orders, so the notice commits with the change or not at all (the host killed right after
/// the change still sends it after a restart). Empty when <see cref="NotifyOptions.Enabled"/> is off.
/// </summary>
public sealed class OrderNotices(IOptions<NotifyOptions> options)
{
    /// <summary>
    /// <c>, notice_&lt;kind&gt; as (insert … select … from <paramref name="changed"/>)</c>: one outbox row per order the
    /// CTE <paramref name="changed"/> returned (it must return <c>id</c> and <c>user_id</c>).
    /// </summary>
    public string After(string changed, string kind) => options.Value.Enabled
        ? $"""
          , notice_{kind} as (
              insert into notification_outbox (kind, user_id, subject_id)
              select '{kind}', user_id, id from {changed} on conflict do nothing
          )
          """
        : "";
}
