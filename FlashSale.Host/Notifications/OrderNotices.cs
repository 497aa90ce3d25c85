using FlashSale.Engine.Postgres;
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
    /// CTE <paramref name="changed"/> returned (it must return <c>id</c> and <c>user_id</c>). An order whose "reserved"
    /// notice the feeder has not queued yet (its <c>journal_xact</c> is not below the feed's watermark,
    /// <see cref="ReservationNoticeFeed"/>) gets that notice first, in the same insert: the shopper who pays within the
    /// feeder's period is told "reserved" before "paid", never the other way round, and the feeder's later insert of
    /// it meets the natural key and adds nothing. An order already fed (its notice may be sent and pruned) gets none.
    /// </summary>
    public string After(string changed, string kind) => options.Value.Enabled
        ? $"""
          , notice_{kind} as (
              insert into notification_outbox (kind, user_id, subject_id)
              select n.kind, c.user_id, c.id
              from {changed} c
              join orders o on o.id = c.id
              cross join lateral (
                  select 1, '{ReservationNoticeFeed.Kind}'
                  where o.journal_xact >= (select watermark from notification_feeds where name = '{ReservationNoticeFeed.Kind}')
                  union all select 2, '{kind}'
              ) as n(step, kind)
              order by c.id, n.step
              on conflict do nothing
          )
          """
        : "";
}
