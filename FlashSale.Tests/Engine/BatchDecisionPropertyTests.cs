using CsCheck;
using FlashSale.Engine.Core;
using FlashSale.Engine.InProcess;
using static FlashSale.Tests.Engine.EngineTestKit;

namespace FlashSale.Tests.Engine;

/// <summary>
/// The in-process authority's batch decision against a model written independently here as a plain sequential
/// loop: random stock, limits, batches of few users and few keys (so replays and limits collide often), invalid
/// quantities, batches outside the sale window and returns of random orders between batches.
/// </summary>
[Trait("Category", TestCategory.Unit)]
public sealed class BatchDecisionPropertyTests
{
    private enum Clock { Open, BeforeStart, AfterEnd }

    private sealed record Step(int User, int Key, int Quantity);

    private sealed record Batch(Step[] Steps, Clock Clock, int ReturnPick);

    private sealed record Scenario(int Stock, int Limit, Batch[] Batches);

    private static readonly Gen<Scenario> Scenarios =
        Gen.Select(
            Gen.Int[0, 12],
            Gen.Int[1, 4],
            Gen.Select(
                Gen.Select(Gen.Int[0, 3], Gen.Int[0, 3], Gen.Int[-1, 3], (u, k, q) => new Step(u, k, q)).Array[1, 12],
                Gen.FrequencyConst((8, Clock.Open), (1, Clock.BeforeStart), (1, Clock.AfterEnd)),
                Gen.Int[-1, 6],
                (steps, clock, pick) => new Batch(steps, clock, pick)).Array[1, 8],
            (stock, limit, batches) => new Scenario(stock, limit, batches));

    [Fact]
    public void Batch_decisions_match_a_plain_sequential_model()
    {
        Scenarios.Sample(scenario => RunScenario(scenario).AsTask().GetAwaiter().GetResult(), iter: 3_000);
    }

    private static async ValueTask RunScenario(Scenario scenario)
    {
        var sale = Sale(stock: scenario.Stock, perUserLimit: scenario.Limit, unitPriceCents: 250,
            startsAt: Epoch, endsAt: Epoch.AddHours(1));
        var users = Enumerable.Range(0, 4).Select(i => new Guid(i + 1, 0, 0, new byte[8])).ToArray();
        var authority = new InProcessStockAuthority();
        await authority.EnsureInitializedAsync(sale, default);
        var model = new Model(scenario.Stock, scenario.Limit, sale.UnitPriceCents);

        for (var b = 0; b < scenario.Batches.Length; b++)
        {
            var batch = scenario.Batches[b];

            if (batch.ReturnPick >= 0 && model.Accepted.Count > 0)
            {
                var (user, order) = model.Accepted[batch.ReturnPick % model.Accepted.Count];
                var returnedByModel = model.Return(user, order.OrderId, order.Quantity);
                var returned = await authority.ReturnUnitsAsync(sale.SaleId, order.OrderId, users[user], order.Quantity, default);
                Assert.Equal(returnedByModel, returned);
            }

            var now = batch.Clock switch
            {
                Clock.BeforeStart => Epoch.AddSeconds(-1),
                Clock.AfterEnd => Epoch.AddHours(2),
                _ => Epoch.AddSeconds(b),
            };
            var nowMs = now.ToUnixTimeMilliseconds();
            var requests = batch.Steps
                .Select((s, i) => new PurchaseRequest(sale.SaleId, users[s.User], s.Quantity, $"key-{s.Key}", new Guid(b + 1, (short)i, 7, new byte[8])))
                .ToArray();
            var decisions = new PurchaseDecision[requests.Length];

            await authority.DecideAsync(sale, requests, decisions, nowMs, default);

            for (var i = 0; i < requests.Length; i++)
            {
                var step = batch.Steps[i];
                var expected = model.Decide(step.User, step.Key, step.Quantity, requests[i].OrderId, batch.Clock == Clock.Open, nowMs);
                Assert.Equal(expected, decisions[i]);
            }

            Assert.Equal(model.Remaining, await authority.GetRemainingStockAsync(sale.SaleId, default));
            Assert.InRange(model.Remaining, 0, scenario.Stock);
        }
    }

    /// <summary>The rules as the issue states them, one request at a time, no batching, no sharing with the engine.</summary>
    private sealed class Model(int stock, int limit, long price)
    {
        private readonly Dictionary<(int User, int Key), PurchaseDecision> _firstOutcome = [];
        private readonly Dictionary<int, int> _units = [];
        private readonly HashSet<Guid> _returned = [];

        public int Remaining { get; private set; } = stock;

        public List<(int User, PurchaseDecision Order)> Accepted { get; } = [];

        public PurchaseDecision Decide(int user, int key, int quantity, Guid orderId, bool open, long nowMs)
        {
            if (_firstOutcome.TryGetValue((user, key), out var first))
            {
                return first with { Replayed = true };
            }

            if (!open)
            {
                return new PurchaseDecision(PurchaseStatus.SaleNotActive, Guid.Empty, 0, 0, 0, Remaining, false);
            }

            if (quantity < 1)
            {
                return new PurchaseDecision(PurchaseStatus.InvalidQuantity, Guid.Empty, 0, 0, 0, Remaining, false);
            }

            PurchaseDecision outcome;
            var units = _units.GetValueOrDefault(user);
            if (units + quantity > limit)
            {
                outcome = new PurchaseDecision(PurchaseStatus.LimitReached, Guid.Empty, 0, 0, 0, Remaining, false);
            }
            else if (Remaining < quantity)
            {
                outcome = new PurchaseDecision(PurchaseStatus.SoldOut, Guid.Empty, 0, 0, 0, Remaining, false);
            }
            else
            {
                Remaining -= quantity;
                _units[user] = units + quantity;
                outcome = new PurchaseDecision(PurchaseStatus.Accepted, orderId, quantity, price, nowMs, Remaining, false);
                Accepted.Add((user, outcome));
            }

            _firstOutcome[(user, key)] = outcome;
            return outcome;
        }

        public bool Return(int user, Guid orderId, int quantity)
        {
            if (!_returned.Add(orderId))
            {
                return false;
            }

            Remaining += quantity;
            _units[user] = Math.Max(0, _units.GetValueOrDefault(user) - quantity);
            return true;
        }
    }
}
