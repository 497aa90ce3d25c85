using StackExchange.Redis;

namespace FlashSale.Load.Distributed;

/// <summary>One entry of a run's stream: who sent it, what kind, and its JSON body.</summary>
internal sealed record RunMessage(string Id, string Type, string Worker, string Body);

/// <summary>
/// How the processes of one run talk: a Redis stream per run (<c>{prefix}:run:{id}</c>) that the coordinator and
/// every worker append to and read from the start, so nobody misses a message that came before it looked; and one
/// stream per prefix (<c>{prefix}:runs</c>) where the coordinator announces a run, so a worker started elsewhere
/// with only <c>--redis</c> finds it. Streams rather than pub/sub because a late reader still sees everything.
/// The run's stream holds the shoppers' tokens, so the coordinator deletes it when the run ends.
/// </summary>
internal sealed class RunChannel(IConnectionMultiplexer redis, string prefix, string runId)
{
    public const string Hello = "hello";
    public const string Start = "start";
    public const string Ready = "ready";
    public const string Go = "go";
    public const string Stop = "stop";
    public const string Result = "result";
    public const string Open = "open";

    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(100);
    private readonly IDatabase _db = redis.GetDatabase();
    private RedisValue _last = "0-0";

    public string RunId { get; } = runId;

    public RedisKey Stream => RunKey(prefix, RunId);

    public static RedisKey RunKey(string prefix, string runId) => $"{prefix}:run:{runId}";

    public static RedisKey Announcements(string prefix) => $"{prefix}:runs";

    public static async Task<IConnectionMultiplexer> ConnectAsync(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 5000;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    public Task PublishAsync(string type, string worker, string body = "") =>
        _db.StreamAddAsync(Stream, [new NameValueEntry("type", type), new NameValueEntry("worker", worker), new NameValueEntry("body", body)]);

    /// <summary>The messages appended since the last call (in order).</summary>
    public async Task<IReadOnlyList<RunMessage>> ReadAsync()
    {
        var entries = await _db.StreamReadAsync(Stream, _last, count: 1000);
        if (entries.Length == 0)
        {
            return [];
        }

        _last = entries[^1].Id;
        return entries.Select(ToMessage).ToList();
    }

    /// <summary>Reads until <paramref name="done"/> says so (called with each message), or the timeout passes.</summary>
    public async Task WaitAsync(Func<RunMessage, bool> done, TimeSpan timeout, string what, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            while (true)
            {
                foreach (var message in await ReadAsync())
                {
                    if (done(message))
                    {
                        return;
                    }
                }

                await Task.Delay(PollEvery, limit.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"{what}: nothing within {timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>Announces the run on the prefix's stream for workers started with only <c>--redis</c>.</summary>
    public Task AnnounceAsync(int workers) =>
        _db.StreamAddAsync(Announcements(prefix), [new NameValueEntry("type", Open), new NameValueEntry("run", RunId), new NameValueEntry("workers", workers)], maxLength: 100, useApproximateMaxLength: true);

    /// <summary>Waits for the next run announced after this call (a worker without <c>--run</c>).</summary>
    public static async Task<string> NextAnnouncedRunAsync(IConnectionMultiplexer redis, string prefix, CancellationToken ct)
    {
        var db = redis.GetDatabase();
        var key = Announcements(prefix);
        var info = await db.StreamRangeAsync(key, "-", "+", count: 1, messageOrder: Order.Descending);
        RedisValue last = info.Length > 0 ? info[0].Id : "0-0";
        while (true)
        {
            var entries = await db.StreamReadAsync(key, last, count: 10);
            foreach (var e in entries)
            {
                last = e.Id;
                if (e["type"] == Open)
                {
                    return e["run"].ToString();
                }
            }

            await Task.Delay(PollEvery, ct);
        }
    }

    public Task DeleteAsync() => _db.KeyDeleteAsync(Stream);

    private static RunMessage ToMessage(StreamEntry e) =>
        new(e.Id.ToString(), e["type"].ToString(), e["worker"].ToString(), e["body"].ToString());
}
