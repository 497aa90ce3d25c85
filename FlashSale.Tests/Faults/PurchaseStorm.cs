using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Faults;

/// <summary>
/// Shoppers buying one sale through several hosts at once, every answer recorded (<see cref="Answers"/>). Each worker
/// behaves like a well-mannered client: a new Idempotency-Key per purchase, and after a 503 (or no answer) the same
/// key again, on the other host, until it gets a final answer or the storm ends. Keys still unanswered at the end are
/// in <see cref="Unresolved"/> for <see cref="RetryUnresolvedAsync"/> once the fault is over.
/// </summary>
public sealed class PurchaseStorm : IDisposable
{
    private readonly IReadOnlyList<BulkShopper> _shoppers;
    private readonly HttpClient[] _clients;
    private readonly Stopwatch _clock = new();
    private readonly ConcurrentDictionary<string, (BulkShopper Shopper, int Quantity)> _unresolved = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;

    public PurchaseStorm(Guid saleId, IReadOnlyList<BulkShopper> shoppers, IReadOnlyList<FlashSaleApp> hosts, TimeSpan? requestTimeout = null)
    {
        SaleId = saleId;
        _shoppers = shoppers;
        _clients = [.. hosts.Select(h =>
        {
            var client = h.CreateClient();
            client.Timeout = requestTimeout ?? TimeSpan.FromSeconds(15);
            return client;
        })];
    }

    public Guid SaleId { get; }

    /// <summary>Concurrent shoppers (each waits for its answer before the next request).</summary>
    public int Workers { get; set; } = 24;

    /// <summary>Pause before retrying a key that got a 503 (short, to keep the pressure on during a fault).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Units of the n-th new purchase.</summary>
    public Func<int, int> Quantity { get; set; } = _ => 1;

    public ConcurrentQueue<PurchaseAnswer> Answers { get; } = new();

    /// <summary>Time since the storm started: the clock <see cref="PurchaseAnswer.SentAt"/> is read on.</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>Keys whose last answer was a 503 or nothing.</summary>
    public int Unresolved => _unresolved.Count;

    /// <summary>Runs the workers until <paramref name="stop"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        _clock.Start();
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(() => WorkAsync(worker, stop), CancellationToken.None)));
    }

    /// <summary>Starts the workers; <see cref="StopAsync"/> ends them.</summary>
    public void Start() => _running = RunAsync(_stop.Token);

    /// <summary>Stops the workers started by <see cref="Start"/> and waits for their last answers.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _running;
    }

    /// <summary>Sends every key still unresolved once more, on the first host, and returns those answers.</summary>
    public async Task<IReadOnlyList<PurchaseAnswer>> RetryUnresolvedAsync()
    {
        var answers = new ConcurrentBag<PurchaseAnswer>();
        await Parallel.ForEachAsync(_unresolved.ToArray(), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (entry, _) =>
            answers.Add(await BuyAsync(entry.Value.Shopper, entry.Key, entry.Value.Quantity, 0)));
        return [.. answers];
    }

    /// <summary>One purchase, recorded.</summary>
    public async Task<PurchaseAnswer> BuyAsync(BulkShopper shopper, string key, int quantity, int host)
    {
        ArgumentNullException.ThrowIfNull(shopper);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders")
        {
            Content = JsonContent.Create(new { flashSaleId = SaleId, quantity }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", shopper.AccessToken);
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        var sentAt = _clock.Elapsed;
        PurchaseAnswer answer;
        try
        {
            using var response = await _clients[host % _clients.Length].SendAsync(request, CancellationToken.None);
            var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
            var elapsed = _clock.Elapsed - sentAt;
            var json = body.Length > 0 && body[0] == '{' ? JsonDocument.Parse(body).RootElement : default;
            answer = new PurchaseAnswer(shopper.Id, key, quantity, host % _clients.Length, sentAt, elapsed, response.StatusCode,
                response.IsSuccessStatusCode || json.ValueKind != JsonValueKind.Object || !json.TryGetProperty("type", out var type) ? null : Slug(type.GetString()),
                response.Headers.RetryAfter?.ToString(),
                response.StatusCode == HttpStatusCode.Created ? OrderFigures.Parse(json) : null,
                null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            answer = new PurchaseAnswer(shopper.Id, key, quantity, host % _clients.Length, sentAt, _clock.Elapsed - sentAt, null, null, null, null, e.GetType().Name);
        }
        Answers.Enqueue(answer);
        if (answer.IsUnavailable || answer.Error is not null)
        {
            _unresolved[key] = (shopper, quantity);
        }
        else
        {
            _unresolved.TryRemove(key, out _);
        }
        return answer;
    }

    public void Dispose()
    {
        _stop.Dispose();
        foreach (var client in _clients)
        {
            client.Dispose();
        }
    }

    private async Task WorkAsync(int worker, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var shopper = _shoppers[(worker + (n * Workers)) % _shoppers.Count];
            var key = $"w{worker}-{n}";
            var quantity = Quantity(n);
            for (var attempt = 0; !stop.IsCancellationRequested; attempt++)
            {
                var answer = await BuyAsync(shopper, key, quantity, worker + attempt);
                if (!answer.IsUnavailable && answer.Error is null)
                {
                    break;
                }
                await Task.Delay(RetryDelay, CancellationToken.None);
            }
        }
    }

    private static string? Slug(string? type) => type?[(type.LastIndexOf('/') + 1)..];
}
