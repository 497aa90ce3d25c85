using CsCheck;
using FlashSale.Engine.Core;
using FlashSale.Engine.Redis;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Redis;

/// <summary>The purchase Lua script against a plain sequential model of the rules, on random batches.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class RedisDecisionPropertyTests(RedisConnection redis, TestDatabase database)
    : IClassFixture<RedisConnection>, IClassFixture<TestDatabase>
{
    private const int Users = 6;
    private const int Keys = 7;

    private static readonly Gen<(int User, int Quantity, int Key)> RequestGen = Gen.Select(Gen.Int[0, Users - 1], Gen.Int[-1, 4], Gen.Int[0, Keys - 1]);

    // A batch: when it is decided (0 before the sale, 9 after it, anything else inside the window) and its requests.
    private static readonly Gen<(int When, (int User, int Quantity, int Key)[] Requests)[]> ScenarioGen =
        Gen.Select(Gen.Int[0, 9], RequestGen.Array[1, 24]).Array[1, 6];

    [Fact]
    public async Task The_lua_script_decides_every_batch_exactly_as_the_sequential_model()
    {
        await Check.SampleAsync(Gen.Select(Gen.Int[0, 25], Gen.Int[1, 4], ScenarioGen), async (stock, limit, scenario) =>
        {
            var startsAt = DateTimeOffset.UtcNow.AddHours(-1);
            var sale = redis.NewSale(stock, limit, priceCents: 250, startsAt: startsAt, endsAt: startsAt.AddHours(2));
            var authority = redis.Authority(database.DataSource);
            await authority.EnsureInitializedAsync(sale, CancellationToken.None);
            var users = Enumerable.Range(0, Users).Select(_ => Guid.NewGuid()).ToArray();
            var model = new Model(stock, limit, sale.UnitPriceCents);

            foreach (var (when, batch) in scenario)
            {
                // The script decides on Redis' clock, so "before the start" and "after the end" move the window instead.
                var (starts, ends) = when switch
                {
                    0 => (startsAt.AddHours(3), startsAt.AddHours(4)),
                    9 => (startsAt.AddHours(-2), startsAt),
                    _ => (startsAt, startsAt.AddHours(2)),
                };
                await redis.Database.HashSetAsync(RedisSaleKeys.For(sale.SaleId).Meta,
                    [new("starts", starts.ToUnixTimeMilliseconds()), new("ends", ends.ToUnixTimeMilliseconds())]);
                var open = when is not (0 or 9);
                var requests = batch.Select(r => new PurchaseRequest(sale.SaleId, users[r.User], r.Quantity, "key-" + r.Key, Guid.CreateVersion7())).ToArray();
                var decisions = new PurchaseDecision[requests.Length];

                await authority.DecideAsync(sale, requests, decisions, 0, CancellationToken.None);

                // New acceptances of one batch are stamped with the script's one reading of Redis' clock.
                var now = decisions.FirstOrDefault(d => d is { Status: PurchaseStatus.Accepted, Replayed: false }).CreatedAtUnixMs;
                for (var i = 0; i < requests.Length; i++)
                {
                    Assert.Equal(model.Decide(requests[i], now, open), decisions[i] with { LogPosition = default });
                    // Exactly the new acceptances carry the id of the stream entry the script appended for them.
                    Assert.Equal(decisions[i] is { Status: PurchaseStatus.Accepted, Replayed: false }, decisions[i].LogPosition.IsSet);
                }
                var positions = decisions.Where(d => d.LogPosition.IsSet).Select(d => d.LogPosition).ToList();
                Assert.Equal(positions.Order(Comparer<OrderLogPosition>.Create((a, b) => (a.Milliseconds, a.Sequence).CompareTo((b.Milliseconds, b.Sequence)))), positions);
                Assert.Equal(positions.Count, positions.Distinct().Count());
            }
            Assert.Equal(model.Stock, await authority.GetRemainingStockAsync(sale.SaleId, CancellationToken.None));
        }, iter: 60, threads: 1);
    }

    private sealed class Model(int stock, int limit, long price)
    {
        private readonly Dictionary<Guid, int> _units = [];
        private readonly Dictionary<(Guid, string), PurchaseDecision> _outcomes = [];

        public int Stock { get; private set; } = stock;

        public PurchaseDecision Decide(PurchaseRequest request, long now, bool open)
        {
            if (_outcomes.TryGetValue((request.UserId, request.IdempotencyKey), out var first))
            {
                return first with { RemainingStock = Stock, Replayed = true };
            }
            if (!open)
            {
                return PurchaseDecision.Refused(PurchaseStatus.SaleNotActive, Stock);
            }
            if (request.Quantity < 1)
            {
                return PurchaseDecision.Refused(PurchaseStatus.InvalidQuantity, Stock);
            }
            var had = _units.GetValueOrDefault(request.UserId);
            PurchaseDecision decision;
            if (had + request.Quantity > limit)
            {
                decision = PurchaseDecision.Refused(PurchaseStatus.LimitReached, Stock);
            }
            else if (request.Quantity > Stock)
            {
                decision = PurchaseDecision.Refused(PurchaseStatus.SoldOut, Stock);
            }
            else
            {
                Stock -= request.Quantity;
                _units[request.UserId] = had + request.Quantity;
                decision = new PurchaseDecision(PurchaseStatus.Accepted, request.OrderId, request.Quantity, price, now, Stock, false);
            }
            _outcomes[(request.UserId, request.IdempotencyKey)] = decision;
            return decision;
        }
    }
}
