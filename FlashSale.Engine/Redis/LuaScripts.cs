using FlashSale.Engine.Core;

namespace FlashSale.Engine.Redis;

/// <summary>The Lua scripts of the Redis stock authority. Every key a script touches is passed in KEYS.</summary>
internal static class LuaScripts
{
    /// <summary>
    /// Decides a batch of purchases in order.
    /// KEYS: 1 meta, 2 stock, 3 users, 4 idem, 5 orders stream, 6 admitted zset.
    /// ARGV (<see cref="DecideArgs"/>): four per request: user (N), quantity, Idempotency-Key, order id (N).
    /// One clock: "now" is Redis <c>TIME</c>, read by the script itself, so the sale's window, the admission deadlines
    /// and an order's creation and payment deadline are decided on the same clock whichever host (and whatever its
    /// clock) sends the batch, and however long the batch waited before it was sent.
    /// Reply: {-1} when the sale's meta is missing; otherwise the layout <see cref="DecideReply"/> reads: remaining
    /// stock, unit price (cents), one outcome code per request (<see cref="PurchaseCodes"/>), the epoch the sale's state
    /// was built under, the script's now (unix ms), then for every replayed acceptance, in order, its recorded outcome
    /// "A&lt;order N&gt;|qty|priceCents|createdAtMs", then for every new acceptance, in order, the stream id XADD gave its
    /// entry (the engine deletes exactly these entries once they are committed).
    /// Waiting room (meta <c>wr</c> = "1"): a shopper without a live admission (deadline in KEYS[6] at or after now)
    /// is refused, unless the shopper already holds the per-user limit (then limit reached: the truer answer). An
    /// acceptance that brings the shopper to the limit removes the admission (it is used up).
    /// Refusals (sold out, limit reached) are remembered for at most <see cref="IdempotencyBounds.MaxRecordedRefusalsPerShopper"/> keys per shopper
    /// (counted in the field "&lt;user&gt; r", which no purchase field "&lt;user&gt;|&lt;key&gt;" can collide with); past that a
    /// retried refused key is decided again. Acceptances are bounded by the per-user limit, so a bot cycling keys cannot
    /// grow <c>:idem</c> beyond limit + that bound + 1 fields per shopper.
    /// </summary>
    public static readonly string Decide = $$"""
        local m = redis.call('HMGET', KEYS[1], 'price', 'starts', 'ends', 'limit', 'pw', 'wr', 'epoch')
        if not m[1] then return {-1} end
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local nowstr = string.format('%.0f', now)
        local price = m[1]
        local open = now >= tonumber(m[2]) and now < tonumber(m[3])
        local limit = tonumber(m[4])
        local expires = string.format('%.0f', now + tonumber(m[5]) * 1000)
        local room = m[6] == '1'
        local stock = tonumber(redis.call('GET', KEYS[2]) or '0')
        local before = stock
        local codes = {}
        local ids = {}
        local out = {}
        out[{{DecideReply.Remaining + 1}}] = 0
        out[{{DecideReply.UnitPrice + 1}}] = tonumber(price)
        out[{{DecideReply.Codes + 1}}] = ''
        out[{{DecideReply.Epoch + 1}}] = tonumber(m[7] or '0')
        out[{{DecideReply.Now + 1}}] = now
        local r = {{DecideReply.Fixed}}
        local function refuse(user, field, code)
          if redis.call('HINCRBY', KEYS[4], user .. ' r', 1) <= {{IdempotencyBounds.MaxRecordedRefusalsPerShopper}} then redis.call('HSET', KEYS[4], field, code) end
        end
        for i = 1, #ARGV / {{DecideArgs.PerRequest}} do
          local j = (i - 1) * {{DecideArgs.PerRequest}} + 1
          local user = ARGV[j + {{DecideArgs.User}}]
          local qs = ARGV[j + {{DecideArgs.Quantity}}]
          local key = ARGV[j + {{DecideArgs.IdempotencyKey}}]
          local field = user .. '|' .. key
          local seen = redis.call('HGET', KEYS[4], field)
          if seen then
            local c = string.sub(seen, 1, 1)
            codes[i] = c
            if c == '{{PurchaseCodes.ReplayedAccepted}}' then r = r + 1; out[r] = seen end
          elseif not open then
            codes[i] = '{{PurchaseCodes.NotActive}}'
          else
            local q = tonumber(qs)
            if not q or q < 1 or q ~= math.floor(q) then
              codes[i] = '{{PurchaseCodes.InvalidQuantity}}'
            else
              local had = tonumber(redis.call('HGET', KEYS[3], user) or '0')
              if room and had < limit and tonumber(redis.call('ZSCORE', KEYS[6], user) or '0') < now then
                codes[i] = '{{PurchaseCodes.NotAdmitted}}'
              elseif had + q > limit then
                codes[i] = '{{PurchaseCodes.LimitReached}}'
                refuse(user, field, '{{PurchaseCodes.ReplayedLimit}}')
              elseif q > stock then
                codes[i] = '{{PurchaseCodes.SoldOut}}'
                refuse(user, field, '{{PurchaseCodes.ReplayedSoldOut}}')
              else
                stock = stock - q
                local oid = ARGV[j + {{DecideArgs.Order}}]
                redis.call('HSET', KEYS[3], user, had + q)
                redis.call('HSET', KEYS[4], field, '{{PurchaseCodes.ReplayedAccepted}}' .. oid .. '|' .. qs .. '|' .. price .. '|' .. nowstr)
                ids[#ids + 1] = redis.call('XADD', KEYS[5], '*', 'o', oid, 'u', user, 'q', qs, 'p', price, 'c', nowstr, 'e', expires, 'k', key)
                codes[i] = '{{PurchaseCodes.Accepted}}'
                -- A shopper who now holds the per-user limit cannot buy more: the admission is used up and stops
                -- holding a place (the admission step counts only live admissions).
                if room and had + q >= limit then redis.call('ZREM', KEYS[6], user) end
              end
            end
          end
        end
        if stock ~= before then redis.call('SET', KEYS[2], stock) end
        for k = 1, #ids do r = r + 1; out[r] = ids[k] end
        out[{{DecideReply.Remaining + 1}}] = stock
        out[{{DecideReply.Codes + 1}}] = table.concat(codes)
        return out
        """;

    /// <summary>
    /// Installs a sale's state built under its epoch when the sale has no state or one built under an older epoch
    /// (two hosts rebuilding at once: the later rebuild read PostgreSQL after the earlier one's epoch was fenced off, so
    /// its state is the one commits can still land under). Never replaces a state of the same or a newer epoch, so a
    /// live sale is never reset by a host starting or an admin edit.
    /// The waiting-room line is put back in the same atomic step (<see cref="LineRestore"/>: the journaled tickets in
    /// ticket order, the line's progress, the admissions; shoppers still waiting count as present from now, skipped
    /// ones as away), so no join can see the sale's state without its line. The live-frame order (<c>seq</c>, <c>st</c>)
    /// survives a replaced state; the operator's pause is the newer of the journaled one and the one Redis holds
    /// (<c>paused</c>, version <c>pausev</c>), so neither a data loss nor a pause written during the rebuild is lost.
    /// KEYS: 1 meta, 2 stock, 3 users, 4 idem, 5 returned, 6 queue, 7 tickets, 8 line, 9 admitted, 10 seen, 11 absent,
    /// 12 back, 13 entrants (a pre-queue waiting for its draw: <c>pre</c> in queue, "1" open, "2" closed).
    /// ARGV (<see cref="InstallArgs"/>): price, starts, ends, limit, total, pw, wr, stock, user count, idem count,
    /// returned count, epoch, the line's issued, through and length, its ticket, admission, absent and present counts,
    /// pre-queue state, entrant count, journaled pause ("1"/"0") and its version, then user/units pairs, idem field/outcome pairs, returned order ids, the line's users in ticket order,
    /// user/ticket pairs, deadline/user pairs, ticket/user pairs of absent places, present users, pre-queue entrants.
    /// Reply: 1 installed, 0 a state of this epoch or a newer one is present.
    /// </summary>
    public static readonly string Install = $$"""
        if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0') >= tonumber(ARGV[{{InstallArgs.Epoch + 1}}]) then
          return 0
        end
        redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5])
        local function put(cmd, key, first, count)
          local last = first + count - 1
          local i = first
          while i <= last do
            local j = math.min(i + 999, last)
            redis.call(cmd, key, unpack(ARGV, i, j))
            i = j + 1
          end
        end
        local users = tonumber(ARGV[{{InstallArgs.UserCount + 1}}]) * 2
        local idem = tonumber(ARGV[{{InstallArgs.IdempotencyCount + 1}}]) * 2
        local returned = tonumber(ARGV[{{InstallArgs.ReturnedCount + 1}}])
        local first = {{InstallArgs.Header + 1}}
        redis.call('SET', KEYS[2], ARGV[{{InstallArgs.Stock + 1}}])
        put('HSET', KEYS[3], first, users)
        put('HSET', KEYS[4], first + users, idem)
        put('SADD', KEYS[5], first + users + idem, returned)
        local q = redis.call('HMGET', KEYS[6], 'seq', 'st', 'paused', 'pausev')
        redis.call('DEL', KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11], KEYS[12], KEYS[13])
        for k, field in ipairs({'seq', 'st'}) do
          if q[k] then redis.call('HSET', KEYS[6], field, q[k]) end
        end
        local pausev = ARGV[{{InstallArgs.LinePauseVersion + 1}}]
        local paused = ARGV[{{InstallArgs.LinePaused + 1}}]
        if tonumber(q[4] or '0') > tonumber(pausev) or (q[3] == '1' and not q[4]) then
          pausev, paused = q[4] or '0', q[3] or '0'
        end
        if paused == '1' then redis.call('HSET', KEYS[6], 'paused', '1') end
        if pausev ~= '0' then redis.call('HSET', KEYS[6], 'pausev', pausev) end
        local issued = ARGV[{{InstallArgs.LineIssued + 1}}]
        if issued ~= '0' or ARGV[{{InstallArgs.LineThrough + 1}}] ~= '0' then
          redis.call('HSET', KEYS[6], 'issued', issued, 'through', ARGV[{{InstallArgs.LineThrough + 1}}])
        end
        local at = first + users + idem + returned
        local length = tonumber(ARGV[{{InstallArgs.LineLength + 1}}])
        local tickets = tonumber(ARGV[{{InstallArgs.TicketCount + 1}}]) * 2
        local admitted = tonumber(ARGV[{{InstallArgs.AdmittedCount + 1}}]) * 2
        local absent = tonumber(ARGV[{{InstallArgs.AbsentCount + 1}}]) * 2
        local present = tonumber(ARGV[{{InstallArgs.PresentCount + 1}}])
        put('RPUSH', KEYS[8], at, length)
        at = at + length
        put('HSET', KEYS[7], at, tickets)
        at = at + tickets
        put('ZADD', KEYS[9], at, admitted)
        at = at + admitted
        put('ZADD', KEYS[11], at, absent)
        at = at + absent
        if present > 0 then
          local t = redis.call('TIME')
          local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
          local i = at
          while i < at + present do
            local seen = {}
            for k = i, math.min(i + 499, at + present - 1) do
              seen[#seen + 1] = now
              seen[#seen + 1] = ARGV[k]
            end
            redis.call('ZADD', KEYS[10], unpack(seen))
            i = i + 500
          end
        end
        at = at + present
        if ARGV[{{InstallArgs.LinePre + 1}}] ~= '0' then
          redis.call('HSET', KEYS[6], 'pre', ARGV[{{InstallArgs.LinePre + 1}}])
          put('SADD', KEYS[13], at, tonumber(ARGV[{{InstallArgs.EntrantCount + 1}}]))
        end
        redis.call('HSET', KEYS[1], 'price', ARGV[{{InstallArgs.Price + 1}}], 'starts', ARGV[{{InstallArgs.Starts + 1}}],
          'ends', ARGV[{{InstallArgs.Ends + 1}}], 'limit', ARGV[{{InstallArgs.Limit + 1}}], 'total', ARGV[{{InstallArgs.Total + 1}}],
          'pw', ARGV[{{InstallArgs.PaymentWindow + 1}}], 'wr', ARGV[{{InstallArgs.WaitingRoom + 1}}], 'epoch', ARGV[{{InstallArgs.Epoch + 1}}])
        return 1
        """;

    /// <summary>
    /// Which stream entries belong to the sale's live state, for the reconciler. KEYS: 1 meta, 2 idem.
    /// ARGV (<see cref="ClaimReply"/>): pairs of idem field ("user(N)|Idempotency-Key") and order id (N).
    /// Reply (<see cref="ClaimReply"/>): {-1} no sale state; otherwise {epoch, flags} with one byte per pair: '1' when
    /// the state's recorded outcome for that key is this very order (it is counted in the state, so it may be committed
    /// under the state's epoch), '0' when it is not (an order of a state that a rebuild replaced, whose commit is fenced
    /// off: never confirmed).
    /// </summary>
    public static readonly string Claim = $$"""
        local epoch = redis.call('HGET', KEYS[1], 'epoch')
        if redis.call('EXISTS', KEYS[1]) == 0 then return {{{ClaimReply.NoState}}} end
        local flags = {}
        for i = 1, #ARGV / {{ClaimReply.PerOrder}} do
          local j = (i - 1) * {{ClaimReply.PerOrder}} + 1
          local seen = redis.call('HGET', KEYS[2], ARGV[j + {{ClaimReply.Field}}])
          if seen and string.sub(seen, 1, 1) == '{{PurchaseCodes.ReplayedAccepted}}' and string.sub(seen, 2, 33) == ARGV[j + {{ClaimReply.Order}}] then
            flags[i] = '{{ClaimReply.Held}}'
          else
            flags[i] = '{{ClaimReply.NotHeld}}'
          end
        end
        return {tonumber(epoch or '0'), table.concat(flags)}
        """;

    /// <summary>
    /// Gives an order's units back exactly once. KEYS: 1 meta, 2 stock, 3 users, 4 returned.
    /// ARGV and reply (<see cref="ReturnUnitsReply"/>): order (N), user (N), quantity; 1 returned now, 0 already
    /// returned, -1 no sale state.
    /// </summary>
    public static readonly string ReturnUnits = $$"""
        if redis.call('EXISTS', KEYS[1]) == 0 then return {{ReturnUnitsReply.NoState}} end
        local order = ARGV[{{ReturnUnitsReply.Order}} + 1]
        local user = ARGV[{{ReturnUnitsReply.User}} + 1]
        if redis.call('SADD', KEYS[4], order) == 0 then return {{ReturnUnitsReply.AlreadyReturned}} end
        local q = tonumber(ARGV[{{ReturnUnitsReply.Quantity}} + 1])
        redis.call('INCRBY', KEYS[2], q)
        if redis.call('HINCRBY', KEYS[3], user, -q) <= 0 then redis.call('HDEL', KEYS[3], user) end
        return {{ReturnUnitsReply.ReturnedNow}}
        """;

    /// <summary>
    /// Removes an ended sale's state once keeping it can no longer matter. KEYS: 1 meta, 2 orders stream, then every
    /// other key of the sale. ARGV and reply (<see cref="RemoveEndedReply"/>): now (unix ms), retention (ms);
    /// 1 removed now; 0 kept (its stream still holds entries the reconciler has not written to PostgreSQL, or
    /// the sale has not ended at least the retention ago); -1 no state (no meta and an empty stream: removed before,
    /// lost, or not installed yet). The check and the removal are one atomic step, so nothing can be appended or
    /// re-opened in between. UNLINK frees big hashes off Redis' main thread.
    /// </summary>
    public static readonly string RemoveEnded = $$"""
        if redis.call('XLEN', KEYS[2]) > 0 then return {{RemoveEndedReply.KeptForNow}} end
        local ends = redis.call('HGET', KEYS[1], 'ends')
        if not ends then return {{RemoveEndedReply.NoState}} end
        local now = tonumber(ARGV[{{RemoveEndedReply.Now}} + 1])
        if tonumber(ends) + tonumber(ARGV[{{RemoveEndedReply.Retention}} + 1]) > now then return {{RemoveEndedReply.KeptForNow}} end
        redis.call('UNLINK', unpack(KEYS))
        return {{RemoveEndedReply.RemovedNow}}
        """;
}
