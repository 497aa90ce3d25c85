using System.Collections.Concurrent;

namespace FlashSale.Engine.Core;

/// <summary>
/// Runs one load of a sale at a time however many callers ask at once: the callers that ask while it runs wait for that
/// same load. A sweep returning a thousand units of a sale whose state is missing rebuilds it once, not a thousand
/// times. A caller that comes after the load finished starts a new one (which then finds the state and does nothing).
/// </summary>
internal sealed class OncePerSale(Func<Guid, Task> load)
{
    private readonly ConcurrentDictionary<Guid, Lazy<Task>> _running = new();

    public async Task RunAsync(Guid saleId)
    {
        var mine = new Lazy<Task>(() => load(saleId));
        var shared = _running.GetOrAdd(saleId, mine);
        try
        {
            await shared.Value.ConfigureAwait(false);
        }
        finally
        {
            if (ReferenceEquals(shared, mine))
            {
                _running.TryRemove(new KeyValuePair<Guid, Lazy<Task>>(saleId, mine));
            }
        }
    }
}
