using FlashSale.Load.Running;
using FlashSale.Load.Stats;

namespace FlashSale.Load.Scenarios;

/// <summary>
/// N shoppers buy from one sale as fast as the host answers (closed model) or at a set arrival rate (open model).
/// Every attempt carries a fresh Idempotency-Key, so each 201 must be a distinct order: the audit checks that.
/// With <c>--pay</c> each reserved order is paid at once by its shopper (step <c>pay</c>): in the open model
/// (<c>--rate R/s</c>) that is R payments a second, each measured from when it was sent.
/// </summary>
internal sealed class PurchaseStormScenario : IScenario
{
    private ScenarioContext? _context;
    private StepStats? _purchase;
    private StepStats? _pay;
    private Guid _saleId;
    private int _quantity;

    public string Name => "purchase-storm";

    public string Description => "shoppers buy from one sale (POST /api/v1/orders) as fast as the host answers, or at --rate";

    public int DefaultUsers => 1000;

    public bool NeedsShoppers => true;

    public bool OneSessionPerShopper => false;

    public bool IsPurchase => true;

    public string EntryStep => "purchase";

    public async Task InitAsync(ScenarioContext context, CancellationToken ct)
    {
        _context = context;
        _purchase = context.Stats.Step(EntryStep);
        _pay = context.Options.Pay ? context.Stats.Step("pay") : null;
        _quantity = context.Options.Quantity;
        var limit = context.Options.PerUserLimit > 0 ? context.Options.PerUserLimit : 2;
        var sale = await SaleSetup.EnsureAsync(context, limit, context.Options.WaitingRoom ?? false, TimeSpan.Zero, ct);
        if (sale.WaitingRoom == true)
        {
            context.Notes.Add("the sale has a waiting room and purchase-storm does not queue: expect not-admitted refusals (flash-rush queues)");
        }

        context.Sale = sale;
        _saleId = sale.Id;
    }

    public async Task<IterationResult> RunAsync(VirtualUser user, CancellationToken ct)
    {
        // A closed-model user is a checkout lane, not one shopper: each of its purchases comes from the next shopper
        // of the prepared list (a stride apart from the other lanes), so a long storm measures purchases rather than
        // every lane running into its one shopper's per-user limit.
        var shoppers = _context!.Shoppers;
        var turn = user.State is int previous ? previous + 1 : 0;
        user.State = turn;
        var index = shoppers.Count == 0 ? user.ShopperIndex : (int)((user.ShopperIndex + ((long)turn * LaneStride)) % shoppers.Count);
        var shopper = shoppers.Count == 0 ? user.Shopper! : shoppers[index];

        var start = user.BeginStep();
        var answer = await _context.Api.PurchaseAsync(shopper.AccessToken, _saleId, _quantity, Guid.NewGuid().ToString("N"), ct);
        _purchase!.Record(answer.Outcome, start);
        if (answer.IsOk && answer.Value is { } order)
        {
            _context.Ledger.Add(index, shopper.Id, order);
            if (_pay is not null && !_context.Stopping.IsCancellationRequested)
            {
                start = user.BeginStep();
                var paid = await _context.Api.PayAsync(shopper.AccessToken, order.Id, _context.Options.CardNumber, ct);
                _pay.Record(paid.Outcome, start);
            }
        }

        return IterationResult.Continue;
    }

    /// <summary>A prime, so a lane's successive shoppers spread over the whole list whatever its length.</summary>
    private const int LaneStride = 7_919;

    public Task CleanupAsync(CancellationToken ct) => Task.CompletedTask;
}
