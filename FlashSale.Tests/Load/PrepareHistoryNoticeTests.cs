using Dapper;
using FlashSale.Engine.Postgres;
using FlashSale.Load.Cli;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Load;

/// <summary>
/// <c>prepare-history</c> writes orders whose notices went out long ago: the host's reserved-notice feed, which queues
/// a notice for every order its journal transaction stamped, must not pick them up (a fixture of its own: the database
/// holds only these orders).
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class PrepareHistoryNoticeTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    [Fact]
    public async Task Past_orders_carry_no_journal_transaction_so_the_reserved_notice_feed_queues_none_of_them()
    {
        var args = new[] { "prepare-history", "--postgres", app.Database.ConnectionString, "--orders", "500", "--expired", "100", "--sales", "2" };

        Assert.Equal(0, await HistoryCommand.RunAsync(ArgumentTokens.Parse(args, HistoryCommand.Options), TextWriter.Null, CancellationToken.None));

        // One whole pass after the write (the host's own feeder may hold the watermark at that moment: null, try again).
        while (await ReservationNoticeFeed.FeedOnceAsync(app.Database.DataSource, CancellationToken.None) is null)
        {
            await Task.Delay(50);
        }
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(500, await connection.ExecuteScalarAsync<int>("select count(*)::int from orders"));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(journal_xact)::int from orders"));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*)::int from notification_outbox where kind = 'reserved'"));
    }
}
