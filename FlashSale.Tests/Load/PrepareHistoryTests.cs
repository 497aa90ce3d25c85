using Dapper;
using FlashSale.Host.Orders;
using FlashSale.Load.Cli;
using FlashSale.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Tests.Load;

/// <summary><c>prepare-history</c>: past orders that look finished to every path of the host.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class PrepareHistoryTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    [Fact]
    public async Task Past_orders_are_written_paid_or_expired_and_returned_and_leave_the_sweeper_nothing_to_do()
    {
        var args = new[] { "prepare-history", "--postgres", app.Database.ConnectionString, "--orders", "3000", "--expired", "700", "--sales", "3" };

        var code = await HistoryCommand.RunAsync(ArgumentTokens.Parse(args, HistoryCommand.Options), TextWriter.Null, CancellationToken.None);

        Assert.Equal(0, code);
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var byStatus = (await connection.QueryAsync<(string Status, int Count, int Returned)>(
            "select status, count(*)::int, count(returned_at)::int from orders group by status order by status")).ToList();
        Assert.Equal([("expired", 700, 700), ("paid", 2300, 0)], byStatus);
        Assert.Equal(3, await connection.ExecuteScalarAsync<int>("select count(distinct flash_sale_id) from orders"));
        Assert.Equal(2300 + (2 * 700), await connection.ExecuteScalarAsync<int>("select count(*) from inventory_ledger where order_id is not null"));
        Assert.Equal(0, await app.Services.GetRequiredService<OrderExpirySweeper>().SweepOnceAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData("Host=10.1.2.3;Username=x;Password=y;Database=z")]
    [InlineData("Host=db.example.com;Username=x;Password=y;Database=z")]
    public async Task A_database_off_this_machine_is_refused(string connection)
    {
        var args = new[] { "prepare-history", "--postgres", connection, "--orders", "10" };

        await Assert.ThrowsAsync<UsageException>(() => HistoryCommand.RunAsync(ArgumentTokens.Parse(args, HistoryCommand.Options), TextWriter.Null, CancellationToken.None));
    }
}
