using System.Collections.Concurrent;
using Dapper;
using FlashSale.Engine.Core;
using FlashSale.Engine.Postgres;
using FlashSale.Engine.Redis;
using FlashSale.Tests.Engine;
using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.Redis;

namespace FlashSale.Tests.Postgres;

/// <summary>
/// Redis losing its data (FLUSHALL on a Redis of the test's own) while two hosts sell one sale and their commits are in
/// flight: the rebuild's epoch fence must keep every 201 true and the stock whole.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class EpochFenceTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly PrivateRedisServer _redis = new();

    public Task InitializeAsync() => _redis.InitializeAsync();

    public Task DisposeAsync() => _redis.DisposeAsync();

    /// <summary>Holds every commit back a little, so commits are in flight whenever Redis loses its data.</summary>
    private sealed class SlowJournal(IOrderJournal inner) : IOrderJournal
    {
        public async ValueTask CommitAsync(ReadOnlyMemory<AcceptedOrder> orders, CancellationToken cancellationToken)
        {
            await Task.Delay(Random.Shared.Next(2, 30), CancellationToken.None);
            await inner.CommitAsync(orders, cancellationToken);
        }
    }

    [Fact]
    public async Task Redis_losing_its_data_with_commits_in_flight_on_two_hosts_neither_oversells_nor_answers_a_201_without_its_row()
    {
        await using var redisA = await _redis.ConnectAsync();
        await using var redisB = await _redis.ConnectAsync();
        await using var journalA = new PostgresOrderJournal(database.DataSource, new PostgresOrderJournalOptions { Writers = 1 });
        await using var journalB = new PostgresOrderJournal(database.DataSource, new PostgresOrderJournalOptions { Writers = 1 });
        var options = new FlashSaleRedisOptions { SalesSetKey = "flashsale:fence:sales" };
        var reader = new PostgresSaleStateReader(database.DataSource);
        var hosts = new[]
        {
            (Authority: new RedisStockAuthority(redisA, reader, options), Journal: new SlowJournal(journalA)),
            (Authority: new RedisStockAuthority(redisB, reader, options), Journal: new SlowJournal(journalB)),
        };
        var server = redisA.GetServer("127.0.0.1", _redis.Port);

        for (var round = 0; round < 20; round++)
        {
            var now = DateTimeOffset.UtcNow;
            var sale = new SaleDefinition(Guid.CreateVersion7(), 1_000, TotalStock: 10, PerUserLimit: 2, now.AddHours(-1), now.AddHours(1), 600, false);
            await SaleRows.InsertAsync(database.DataSource, sale);
            var engines = hosts.Select(h => new SaleEngine(sale, h.Authority, h.Journal, EngineTestKit.Options(batchLimit: 4))).ToArray();
            var answers = new ConcurrentBag<(PurchaseRequest Request, PurchaseDecision Decision)>();

            async Task ShopAsync(int shopper)
            {
                var user = Guid.NewGuid();
                for (var purchase = 0; purchase < 2; purchase++)
                {
                    var key = $"k{shopper}-{purchase}";
                    // The same key on both hosts: a shopper retrying elsewhere must get the same order or a refusal.
                    for (var attempt = 0; attempt < 3; attempt++)
                    {
                        var engine = engines[(shopper + attempt) % 2];
                        var request = new PurchaseRequest(sale.SaleId, user, 1, key, Guid.CreateVersion7());
                        answers.Add((request, await engine.SubmitAsync(request)));
                        await Task.Delay(Random.Shared.Next(0, 8));
                    }
                }
            }

            async Task LoseDataAsync()
            {
                for (var loss = 0; loss < 2; loss++)
                {
                    await Task.Delay(Random.Shared.Next(3, 25));
                    await server.FlushAllDatabasesAsync();
                }
            }

            await Task.WhenAll(Enumerable.Range(0, 24).Select(ShopAsync).Append(LoseDataAsync()));
            foreach (var engine in engines)
            {
                await engine.DisposeAsync();
            }
            await new OrderStreamReconciler(redisA, journalA, options).ReconcileOnceAsync(CancellationToken.None);

            await using var connection = await database.DataSource.OpenConnectionAsync();
            var rows = (await connection.QueryAsync<(Guid Id, Guid UserId, int Quantity, string Key)>(
                "select id, user_id, quantity, idempotency_key from orders where flash_sale_id = @id", new { id = sale.SaleId }))
                .ToDictionary(r => r.Id);
            Assert.True(rows.Values.Sum(r => r.Quantity) <= sale.TotalStock,
                $"round {round}: {rows.Values.Sum(r => r.Quantity)} units in PostgreSQL for a stock of {sale.TotalStock}");
            Assert.All(rows.Values.GroupBy(r => r.UserId), units => Assert.True(units.Sum(r => r.Quantity) <= sale.PerUserLimit));
            foreach (var (request, decision) in answers.Where(a => a.Decision.Status == PurchaseStatus.Accepted))
            {
                Assert.True(rows.TryGetValue(decision.OrderId, out var row), $"round {round}: a 201 for order {decision.OrderId} that PostgreSQL does not hold");
                Assert.Equal((request.UserId, request.Quantity, request.IdempotencyKey), (row.UserId, row.Quantity, row.Key));
            }
            foreach (var sameKey in answers.Where(a => a.Decision.Status == PurchaseStatus.Accepted).GroupBy(a => (a.Request.UserId, a.Request.IdempotencyKey)))
            {
                Assert.Single(sameKey.Select(a => a.Decision.OrderId).Distinct());
            }
        }
    }
}
