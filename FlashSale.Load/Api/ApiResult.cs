using FlashSale.Load.Stats;

namespace FlashSale.Load.Api;

/// <summary>One answer of the host: its status (0 when no answer came), the outcome bucket and the parsed body.</summary>
internal readonly record struct ApiResult<T>(int Status, Outcome Outcome, T? Value, TimeSpan? RetryAfter = null, string? Detail = null)
{
    public bool IsOk => Outcome.Kind == OutcomeKind.Ok;
}
