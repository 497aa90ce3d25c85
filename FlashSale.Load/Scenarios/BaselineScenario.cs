using FlashSale.Load.Api;
using FlashSale.Load.Running;
using FlashSale.Load.Stats;

namespace FlashSale.Load.Scenarios;

/// <summary>
/// The cheapest endpoint of the host (liveness probe): the HTTP ceiling of this machine, to compare the purchase
/// path against in the same run.
/// </summary>
internal sealed class BaselineScenario : IScenario
{
    private FlashSaleApi? _api;
    private StepStats? _live;
    private string _path = "/health/live";

    public string Name => "baseline";

    public string Description => "GET /health/live as fast as possible: the HTTP ceiling of the host on this machine";

    public int DefaultUsers => 256;

    public bool NeedsShoppers => false;

    public bool OneSessionPerShopper => false;

    public bool IsPurchase => false;

    public string EntryStep => "live";

    public async Task InitAsync(ScenarioContext context, CancellationToken ct)
    {
        _api = context.Api;
        _live = context.Stats.Step(EntryStep);
        var probe = await _api.GetTextAsync(_path, ct);
        if (OutcomeClassifier.IsMissingRoute(probe.Status))
        {
            // An older host without the liveness probe: /health is the next cheapest thing it has.
            _path = "/health";
            context.Notes.Add("the host has no /health/live; baseline measures GET /health instead");
        }
        else if (probe.Status == 0)
        {
            throw new SetupException($"the host does not answer: {probe.Outcome.Name} ({probe.Detail})");
        }
    }

    public async Task<IterationResult> RunAsync(VirtualUser user, CancellationToken ct)
    {
        var start = user.BeginStep();
        var answer = await _api!.GetTextAsync(_path, ct);
        _live!.Record(answer.Outcome, start);
        return IterationResult.Continue;
    }

    public Task CleanupAsync(CancellationToken ct) => Task.CompletedTask;
}
