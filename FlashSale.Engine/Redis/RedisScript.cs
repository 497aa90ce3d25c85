using StackExchange.Redis;

namespace FlashSale.Engine.Redis;

/// <summary>
/// One Lua script run by EVALSHA. The script is loaded (SCRIPT LOAD) on every primary at start; when a server
/// answers NOSCRIPT (restart, SCRIPT FLUSH, failover) it is loaded again and the call repeated once. A NOSCRIPT
/// answer means the script did not run, so repeating it is safe.
/// </summary>
internal sealed class RedisScript(string text)
{
    private volatile byte[]? _sha;

    public string Text { get; } = text;

    public async Task LoadAsync(IConnectionMultiplexer redis)
    {
        byte[]? sha = null;
        foreach (var server in redis.GetServers())
        {
            if (!server.IsConnected || server.IsReplica)
            {
                continue;
            }
            sha = await server.ScriptLoadAsync(Text).ConfigureAwait(false);
        }
        _sha = sha ?? throw new InvalidOperationException("No connected Redis primary to load the script on.");
    }

    public async Task<RedisResult> EvaluateAsync(IConnectionMultiplexer redis, RedisKey[] keys, RedisValue[] args)
    {
        var db = redis.GetDatabase();
        var sha = _sha;
        if (sha is null)
        {
            await LoadAsync(redis).ConfigureAwait(false);
            sha = _sha!;
        }
        try
        {
            return await db.ScriptEvaluateAsync(sha, keys, args).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (IsNoScript(e))
        {
            await LoadAsync(redis).ConfigureAwait(false);
            try
            {
                return await db.ScriptEvaluateAsync(_sha!, keys, args).ConfigureAwait(false);
            }
            catch (RedisServerException again) when (IsNoScript(again))
            {
                // A node we could not load on (a new cluster primary): EVAL carries the body itself.
                return await db.ScriptEvaluateAsync(Text, keys, args).ConfigureAwait(false);
            }
        }
    }

    private static bool IsNoScript(RedisServerException e) => e.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal);
}
