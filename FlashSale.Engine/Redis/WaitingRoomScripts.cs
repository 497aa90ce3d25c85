namespace FlashSale.Engine.Redis;

/// <summary>The Lua scripts of the waiting room (see <see cref="RedisWaitingRoom"/>). Every key is passed in KEYS.</summary>
internal static class WaitingRoomScripts
{
    /// <summary>
    /// Joins the line or reads shoppers' places, for a whole batch of shoppers in one call (the host's per-sale
    /// single writer, <c>LineDesk</c>, drains what queued while the previous call ran).
    /// KEYS: 1 meta, 2 queue, 3 tickets, 4 line, 5 admitted. ARGV (<see cref="JoinLayout"/>): pairs of (user (N), join
    /// flag "1" or "0").
    /// Reply (<see cref="JoinLayout"/>): {-1} no sale state, {-2} the sale has no waiting room; otherwise
    /// {through, then per shopper: ticket (or -3: not in line, read only), admitted 0/1, admission deadline ms or 0}.
    /// A shopper keeps one ticket while it waits or is admitted (the same shopper twice in a batch gets the same
    /// ticket); once the ticket was admitted and the admission is gone (window lapsed, or used up by buying the
    /// limit), joining again hands out a new ticket at the back. Whether an admission is still live is decided on
    /// Redis <c>TIME</c>, the clock the purchase script checks it with.
    /// </summary>
    public static readonly string JoinMany = $$"""
        local wr = redis.call('HGET', KEYS[1], 'wr')
        if not wr then return {{{JoinLayout.NoState}}} end
        if wr ~= '1' then return {{{JoinLayout.NoWaitingRoom}}} end
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
        local through = tonumber(redis.call('HGET', KEYS[2], 'through') or '0')
        local out = {}
        out[{{JoinLayout.Through + 1}}] = through
        for i = 1, #ARGV, {{JoinLayout.ArgsPerShopper}} do
          local user = ARGV[i + {{JoinLayout.User}}]
          local t = redis.call('HGET', KEYS[3], user)
          local admitted, deadline = 0, 0
          local placed = false
          if t then
            t = tonumber(t)
            if t > through then
              placed = true
            else
              local d = redis.call('ZSCORE', KEYS[5], user)
              if d and tonumber(d) >= now then
                placed, admitted, deadline = true, 1, tonumber(d)
              end
            end
          end
          if not placed then
            if ARGV[i + {{JoinLayout.Join}}] == '1' then
              t = redis.call('HINCRBY', KEYS[2], 'issued', 1)
              redis.call('HSET', KEYS[3], user, t)
              redis.call('RPUSH', KEYS[4], user)
            else
              t = {{JoinLayout.NotInLine}}
            end
          end
          local at = {{JoinLayout.Header}} + (i - 1) / {{JoinLayout.ArgsPerShopper}} * {{JoinLayout.PerShopper}} + 1
          out[at + {{JoinLayout.Ticket}}] = t
          out[at + {{JoinLayout.Admitted}}] = admitted
          out[at + {{JoinLayout.Deadline}}] = deadline
        end
        return out
        """;

    /// <summary>
    /// One admission step of one sale, run by the lease holder only.
    /// KEYS: 1 meta, 2 stock, 3 queue, 4 line, 5 admitted, 6 lease.
    /// ARGV (<see cref="AdmitLayout"/>): owner, now (unix ms), lease ms, rate per second, window ms, admitted per
    /// remaining unit, most tickets per step.
    /// Reply (<see cref="AdmitLayout"/>): {-1} another host holds the lease, {-2} no sale state; otherwise
    /// {through, issued, live admissions, remaining stock, admitted by this step}.
    /// The rate is a credit that grows with time (at most one second's worth, at least one shopper) and is spent
    /// one ticket at a time; live admissions (deadline not passed) never exceed remaining stock times the admitted per remaining unit.
    /// One clock: the sale's window, the admission deadlines written here and the purge of lapsed ones use Redis
    /// <c>TIME</c>, the clock the purchase script checks the deadlines with, so a host whose clock runs ahead neither
    /// admits before the start nor hands out longer windows. The host's clock (its "now") only paces the rate credit.
    /// </summary>
    public static readonly string Admit = $$"""
        local owner = ARGV[{{AdmitLayout.Owner + 1}}]
        local holder = redis.call('GET', KEYS[6])
        if holder and holder ~= owner then return {{{AdmitLayout.LeaseHeldElsewhere}}} end
        redis.call('SET', KEYS[6], owner, 'PX', ARGV[{{AdmitLayout.LeaseMs + 1}}])
        local m = redis.call('HMGET', KEYS[1], 'starts', 'ends', 'wr')
        if not m[1] then return {{{AdmitLayout.NoState}}} end
        local nowstr = ARGV[{{AdmitLayout.Now + 1}}]
        local now = tonumber(nowstr)
        local t = redis.call('TIME')
        local clock = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local q = redis.call('HMGET', KEYS[3], 'issued', 'through', 'at', 'credit')
        local issued = tonumber(q[1] or '0')
        local through = tonumber(q[2] or '0')
        local at = tonumber(q[3] or nowstr)
        local credit = tonumber(q[4] or '1')
        local rate = tonumber(ARGV[{{AdmitLayout.Rate + 1}}])
        redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. string.format('%.0f', clock))
        local live = redis.call('ZCARD', KEYS[5])
        local stock = tonumber(redis.call('GET', KEYS[2]) or '0')
        credit = math.min(credit + math.max(0, now - at) * rate / 1000, math.max(1, rate))
        local n = 0
        if m[3] == '1' and clock >= tonumber(m[1]) and clock < tonumber(m[2]) and stock > 0 then
          n = math.min(math.floor(credit), issued - through, stock * tonumber(ARGV[{{AdmitLayout.PerRemainingUnit + 1}}]) - live,
            tonumber(ARGV[{{AdmitLayout.MaxPerStep + 1}}]))
          if n > 0 then
            local users = redis.call('LRANGE', KEYS[4], through, through + n - 1)
            local deadline = string.format('%.0f', clock + tonumber(ARGV[{{AdmitLayout.WindowMs + 1}}]))
            local args = {}
            for i = 1, #users do
              args[2 * i - 1] = deadline
              args[2 * i] = users[i]
            end
            if #users > 0 then redis.call('ZADD', KEYS[5], unpack(args)) end
            through = through + n
            credit = credit - n
            live = live + #users
          else
            n = 0
          end
        end
        redis.call('HSET', KEYS[3], 'through', through, 'at', nowstr, 'credit', string.format('%.4f', credit))
        local out = {}
        out[{{AdmitLayout.Through + 1}}] = through
        out[{{AdmitLayout.Issued + 1}}] = issued
        out[{{AdmitLayout.Live + 1}}] = live
        out[{{AdmitLayout.Stock + 1}}] = stock
        out[{{AdmitLayout.AdmittedNow + 1}}] = n
        return out
        """;

    /// <summary>
    /// Reads what live frames show, in one atomic step that also orders them.
    /// KEYS: 1 meta, 2 stock, 3 queue. ARGV: 1 the host's clock (unix ms, unused: the status follows Redis <c>TIME</c>, the
    /// clock purchases are decided on).
    /// Reply (<see cref="SnapshotLayout"/>): {-1} no sale state; otherwise {seq, remaining stock, status, status changed
    /// 0/1, through, waiting room 0/1}
    /// where seq grows by one per call (frames carry it so a host drops one that arrives after a newer one) and the
    /// status is the API's (upcoming, active, sold_out, ended); "changed" is 1 once per change across all hosts.
    /// </summary>
    public static readonly string Snapshot = $$"""
        local m = redis.call('HMGET', KEYS[1], 'starts', 'ends', 'wr')
        if not m[1] then return {{{SnapshotLayout.NoState}}} end
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local stock = tonumber(redis.call('GET', KEYS[2]) or '0')
        local st
        if now >= tonumber(m[2]) then st = 'ended'
        elseif now < tonumber(m[1]) then st = 'upcoming'
        elseif stock <= 0 then st = 'sold_out'
        else st = 'active' end
        local q = redis.call('HMGET', KEYS[3], 'through', 'st')
        local seq = redis.call('HINCRBY', KEYS[3], 'seq', 1)
        local changed = 0
        if q[2] ~= st then
          redis.call('HSET', KEYS[3], 'st', st)
          changed = 1
        end
        local wr = 0
        if m[3] == '1' then wr = 1 end
        local out = {}
        out[{{SnapshotLayout.Seq + 1}}] = seq
        out[{{SnapshotLayout.Stock + 1}}] = stock
        out[{{SnapshotLayout.Status + 1}}] = st
        out[{{SnapshotLayout.Changed + 1}}] = changed
        out[{{SnapshotLayout.Through + 1}}] = tonumber(q[1] or '0')
        out[{{SnapshotLayout.WaitingRoom + 1}}] = wr
        return out
        """;
}
