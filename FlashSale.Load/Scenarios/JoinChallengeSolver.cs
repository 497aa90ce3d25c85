using System.Diagnostics;
using FlashSale.Load.Api;
using FlashSale.Load.Running;
using FlashSale.Load.Stats;

namespace FlashSale.Load.Scenarios;

/// <summary>
/// The sale's join challenge as the rush's shoppers and bots meet it: when the sale asks for a proof of work (its
/// <c>joinChallengeBits</c>), each one solves it on the thread pool before joining, as a page does in its worker,
/// and the time it took goes to step <c>challenge-solve</c> (apart from <c>queue-join</c>, which times the request).
/// </summary>
internal sealed class JoinChallengeSolver
{
    private readonly Guid _saleId;
    private readonly int _bits;
    private readonly StepStats? _solve;

    public JoinChallengeSolver(ScenarioContext context, SaleDto sale)
    {
        _saleId = sale.Id;
        _bits = sale.JoinChallengeBits ?? 0;
        if (_bits > 0)
        {
            _solve = context.Stats.Step("challenge-solve", isRequest: false);
            context.Notes.Add($"join challenge: {_bits} bits of proof of work, solved by every shopper before joining (step challenge-solve)");
        }
    }

    /// <summary>The nonce to send with the join, or null when the sale asks for none.</summary>
    public async ValueTask<ulong?> SolveAsync(Guid userId, CancellationToken ct)
    {
        if (_bits <= 0)
        {
            return null;
        }

        var start = Stopwatch.GetTimestamp();
        var bits = _bits;
        var saleId = _saleId;
        var nonce = await Task.Run(() => JoinProof.Solve(saleId, userId, bits, ct), ct);
        _solve!.Record(Outcome.Ok, start);
        return nonce;
    }
}
