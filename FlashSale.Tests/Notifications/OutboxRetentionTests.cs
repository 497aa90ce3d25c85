using Dapper;
using FlashSale.Host.Notifications;
using FlashSale.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Tests.Notifications;

/// <summary>A host that keeps finished notifications one hour and deletes them two at a time.</summary>
public sealed class ShortRetentionApp : FlashSaleApp
{
    public ShortRetentionApp()
    {
        Settings["Notify:RetentionHours"] = "1";
        Settings["Notify:PruneBatch"] = "2";
    }
}

/// <summary>
/// Issue 16: sent and skipped notifications older than Notify:RetentionHours are deleted in batches, so the outbox does
/// not keep every message ever sent; pending, dead and recent ones stay.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class OutboxRetentionTests(ShortRetentionApp app) : IClassFixture<ShortRetentionApp>
{
    [Fact]
    public async Task Only_messages_finished_longer_ago_than_the_retention_are_deleted_a_batch_at_a_time()
    {
        var rows = new (string State, double HoursAgo)[]
        {
            ("sent", 2), ("sent", 3), ("skipped", 2), ("sent", 5), ("sent", 0.5), ("skipped", 0.5), ("pending", 5), ("dead", 5),
        };
        var ids = new List<long>();
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
        {
            foreach (var (state, hoursAgo) in rows)
            {
                ids.Add(await connection.ExecuteScalarAsync<long>(
                    """
                    insert into notification_outbox (kind, user_id, subject_id, state, next_attempt_at, sent_at)
                    values ('paid', @user, @subject, @state, now() - make_interval(secs => @seconds),
                            case when @state = 'sent' then now() - make_interval(secs => @seconds) end)
                    returning id
                    """, new { user = Guid.NewGuid(), subject = Guid.NewGuid(), state, seconds = hoursAgo * 3600 }));
            }
        }
        var dispatcher = app.Services.GetRequiredService<OutboxDispatcher>();

        Assert.Equal(2, await dispatcher.PruneOnceAsync(CancellationToken.None));
        Assert.Equal(2, await dispatcher.PruneOnceAsync(CancellationToken.None));
        Assert.Equal(0, await dispatcher.PruneOnceAsync(CancellationToken.None));

        await using var check = await app.Database.DataSource.OpenConnectionAsync();
        var left = (await check.QueryAsync<long>("select id from notification_outbox where id = any(@ids) order by id", new { ids = ids.ToArray() })).AsList();
        Assert.Equal([ids[4], ids[5], ids[6], ids[7]], left);
    }
}
