namespace FlashSale.Engine.Redis;

/// <summary>The Lua scripts of the waiting room (see <see cref="RedisWaitingRoom"/>). Every key is passed in KEYS.</summary>
internal static class WaitingRoomScripts
{
    /// <summary>
    /// A Lua function <c>present(user, t, through, now)</c>: records that the shopper holding ticket <c>t</c> is
    /// here now (<c>:seen</c>), and a shopper who was away stops being absent; one whose turn was skipped meanwhile
    /// (<c>t ≤ through</c>) goes to <c>:back</c>, the returning shoppers admitted first at the next step.
    /// </summary>
    private static string Present(int seen, int absent, int back) => $$"""
        local function present(user, t, through, now)
          redis.call('ZADD', KEYS[{{seen}}], now, user)
          if redis.call('ZREM', KEYS[{{absent}}], user) == 1 and t <= through then
            redis.call('ZADD', KEYS[{{back}}], t, user)
          end
        end
        """;

    /// <summary>
    /// Joins the line or reads shoppers' places, for a whole batch of shoppers in one call (the host's per-sale
    /// single writer, <c>LineDesk</c>, drains what queued while the previous call ran). Every shopper in the batch
    /// who holds a place is present now (<c>:seen</c>); one who was away resumes.
    /// While a pre-queue takes entries (<c>pre</c> "1" in queue) a join enters the shopper in <c>:entrants</c> instead
    /// (ticket -5, position = entrants so far); once the draw closed the entries ("2") new joiners get tickets after the
    /// entrants', first come first served, and an entrant keeps answering -5 until the draw gave the tickets.
    /// KEYS: 1 meta, 2 queue, 3 tickets, 4 line, 5 admitted, 6 seen, 7 absent, 8 back, 9 stock, 10 entrants. ARGV
    /// (<see cref="JoinLayout"/>): pairs of (user (N), join flag "1" or "0").
    /// Reply (<see cref="JoinLayout"/>): {-1} no sale state, {-2} the sale has no waiting room; otherwise
    /// {through, the state's epoch, paused 0/1, then per shopper: ticket (or -3: not in line, read only; -4: sold out, a join
    /// refused), admitted 0/1, admission deadline ms or 0, position, 1 when this call handed the ticket out (the host
    /// journals it before answering)}. While nothing is left a new place is refused (shoppers already in line
    /// keep theirs: when units come back the line resumes in ticket order, never a new race). The position counts only present shoppers ahead: returning shoppers (all ahead of the waiting ones),
    /// then the waiting tickets between <c>through</c> and the shopper's minus the absent ones among them.
    /// A shopper keeps one ticket while it waits, is skipped while away, or is admitted (the same shopper twice in a
    /// batch gets the same ticket); once the admission is gone (window lapsed, or used up by buying the limit) or
    /// the place was abandoned, joining again hands out a new ticket at the back. Whether an admission is still live
    /// is decided on Redis <c>TIME</c>, the clock the purchase script checks it with.
    /// </summary>
    public static readonly string JoinMany = $$"""
        local m = redis.call('HMGET', KEYS[1], 'wr', 'epoch')
        local wr = m[1]
        if not wr then return {{{JoinLayout.NoState}}} end
        if wr ~= '1' then return {{{JoinLayout.NoWaitingRoom}}} end
        {{Present(6, 7, 8)}}
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
        local qs = redis.call('HMGET', KEYS[2], 'through', 'pre', 'paused')
        local through = tonumber(qs[1] or '0')
        local pre = qs[2]
        local out = {}
        out[{{JoinLayout.Through + 1}}] = through
        out[{{JoinLayout.Epoch + 1}}] = tonumber(m[2] or '0')
        out[{{JoinLayout.Paused + 1}}] = (qs[3] == '1') and 1 or 0
        for i = 1, #ARGV, {{JoinLayout.ArgsPerShopper}} do
          local user = ARGV[i + {{JoinLayout.User}}]
          local t = redis.call('HGET', KEYS[3], user)
          local admitted, deadline, position = 0, 0, 0
          local placed, fresh = false, 0
          if not t and pre then
            if redis.call('SISMEMBER', KEYS[10], user) == 1 then
              redis.call('ZADD', KEYS[6], now, user)
              t, placed = {{JoinLayout.Entrant}}, true
            elseif pre == '1' and ARGV[i + {{JoinLayout.Join}}] == '1' then
              redis.call('SADD', KEYS[10], user)
              redis.call('ZADD', KEYS[6], now, user)
              t, placed, fresh = {{JoinLayout.Entrant}}, true, 1
            end
            if placed then position = redis.call('SCARD', KEYS[10]) end
          end
          if t and not placed then
            t = tonumber(t)
            present(user, t, through, now)
            if t > through then
              placed = true
            elseif redis.call('ZSCORE', KEYS[8], user) then
              placed = true
              position = redis.call('ZRANK', KEYS[8], user) + 1
            else
              local d = redis.call('ZSCORE', KEYS[5], user)
              if d and tonumber(d) >= now then
                placed, admitted, deadline = true, 1, tonumber(d)
              end
            end
          end
          if not placed then
            if ARGV[i + {{JoinLayout.Join}}] == '1' and tonumber(redis.call('GET', KEYS[9]) or '0') <= 0 then
              t = {{JoinLayout.SoldOut}}
            elseif ARGV[i + {{JoinLayout.Join}}] == '1' then
              t = redis.call('HINCRBY', KEYS[2], 'issued', 1)
              redis.call('HSET', KEYS[3], user, t)
              redis.call('RPUSH', KEYS[4], user)
              redis.call('ZADD', KEYS[6], now, user)
              fresh = 1
            else
              t = {{JoinLayout.NotInLine}}
            end
          end
          if t > through then
            position = t - through - redis.call('ZCOUNT', KEYS[7], '(' .. through, '(' .. t) + redis.call('ZCARD', KEYS[8])
          end
          local at = {{JoinLayout.Header}} + (i - 1) / {{JoinLayout.ArgsPerShopper}} * {{JoinLayout.PerShopper}} + 1
          out[at + {{JoinLayout.Ticket}}] = t
          out[at + {{JoinLayout.Admitted}}] = admitted
          out[at + {{JoinLayout.Deadline}}] = deadline
          out[at + {{JoinLayout.Position}}] = position
          out[at + {{JoinLayout.Fresh}}] = fresh
        end
        return out
        """;

    /// <summary>
    /// Takes back tickets this host handed out but could not journal (their joins are answered 503: nothing changed):
    /// a ticket still held by the same shopper is dropped, and the line passes it as nobody's.
    /// A ticket 0 stands for a pre-queue entry (taken back from <c>:entrants</c>).
    /// KEYS: 1 tickets, 2 seen, 3 entrants. ARGV: pairs of (user (N), ticket). Reply: how many were taken back.
    /// </summary>
    public static readonly string Revoke = """
        local n = 0
        for i = 1, #ARGV, 2 do
          if ARGV[i + 1] == '0' then
            n = n + redis.call('SREM', KEYS[3], ARGV[i])
          elseif redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
            redis.call('HDEL', KEYS[1], ARGV[i])
            redis.call('ZREM', KEYS[2], ARGV[i])
            n = n + 1
          end
        end
        return n
        """;

    /// <summary>
    /// Closes a pre-queue's entries for its draw (lease holder only): from now on new joiners get tickets after the
    /// entrants' (<c>issued</c> = entrant count, the line holds one placeholder per entrant until the draw fills it).
    /// Idempotent: a closed pre-queue answers its entrants again.
    /// KEYS: 1 meta, 2 queue, 3 entrants, 4 line, 5 lease. ARGV: owner.
    /// Reply (<see cref="DrawLayout"/>): {-1} another host holds the lease, {-2} nothing to draw (no pre-queue, or drawn);
    /// otherwise {epoch, then the entrants (N)}.
    /// </summary>
    public static readonly string CloseEntries = $$"""
        local holder = redis.call('GET', KEYS[5])
        if holder and holder ~= ARGV[1] then return {{{DrawLayout.LeaseHeldElsewhere}}} end
        local pre = redis.call('HGET', KEYS[2], 'pre')
        if not pre then return {{{DrawLayout.NothingToDraw}}} end
        if pre == '1' then
          local n = redis.call('SCARD', KEYS[3])
          local issued = tonumber(redis.call('HGET', KEYS[2], 'issued') or '0')
          local holes = {}
          for i = issued + 1, n do
            holes[#holes + 1] = '{{LineRestore.Nobody}}'
            if #holes == 1000 then redis.call('RPUSH', KEYS[4], unpack(holes)); holes = {} end
          end
          if #holes > 0 then redis.call('RPUSH', KEYS[4], unpack(holes)) end
          redis.call('HSET', KEYS[2], 'issued', math.max(issued, n), 'pre', '2')
        end
        local out = { tonumber(redis.call('HGET', KEYS[1], 'epoch') or '0') }
        for _, user in ipairs(redis.call('SMEMBERS', KEYS[3])) do out[#out + 1] = user end
        return out
        """;

    /// <summary>
    /// Gives a closed pre-queue's entrants their drawn tickets (lease holder only): ticket k to the k-th user of ARGV
    /// after the owner; the pre-queue is over. Refused when the entrants are not exactly those (a rebuild meanwhile).
    /// KEYS: 1 queue, 2 tickets, 3 line, 4 entrants, 5 lease. ARGV: owner, then the users (N) in ticket order.
    /// Reply: the number of tickets given, -1 lease elsewhere, -2 not closed, -3 other entrants.
    /// </summary>
    public static readonly string ApplyDraw = $$"""
        local holder = redis.call('GET', KEYS[5])
        if holder and holder ~= ARGV[1] then return {{DrawLayout.LeaseHeldElsewhere}} end
        if redis.call('HGET', KEYS[1], 'pre') ~= '2' then return {{DrawLayout.NothingToDraw}} end
        local n = #ARGV - 1
        if redis.call('SCARD', KEYS[4]) ~= n then return {{DrawLayout.OtherEntrants}} end
        for k = 1, n do
          local user = ARGV[k + 1]
          if redis.call('SISMEMBER', KEYS[4], user) == 0 then return {{DrawLayout.OtherEntrants}} end
          redis.call('LSET', KEYS[3], k - 1, user)
          redis.call('HSET', KEYS[2], user, k)
        end
        redis.call('HDEL', KEYS[1], 'pre')
        redis.call('DEL', KEYS[4])
        return n
        """;

    /// <summary>
    /// Records that shoppers following the sale on a live socket are present (the hosts send their followers
    /// periodically). Only shoppers holding a ticket are recorded; one who was away resumes.
    /// A pre-queue entrant (no ticket before the draw) is recorded too.
    /// KEYS: 1 queue, 2 tickets, 3 seen, 4 absent, 5 back, 6 entrants. ARGV: users (N). Reply: how many hold a ticket.
    /// </summary>
    public static readonly string Touch = $$"""
        {{Present(3, 4, 5)}}
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
        local through = tonumber(redis.call('HGET', KEYS[1], 'through') or '0')
        local n = 0
        for i = 1, #ARGV do
          local t = redis.call('HGET', KEYS[2], ARGV[i])
          if t then
            present(ARGV[i], tonumber(t), through, now)
            n = n + 1
          elseif redis.call('SISMEMBER', KEYS[6], ARGV[i]) == 1 then
            redis.call('ZADD', KEYS[3], now, ARGV[i])
          end
        end
        return n
        """;

    /// <summary>
    /// One admission step of one sale, run by the lease holder only.
    /// KEYS: 1 meta, 2 stock, 3 queue, 4 line, 5 admitted, 6 lease, 7 tickets, 8 seen, 9 absent, 10 back.
    /// ARGV (<see cref="AdmitLayout"/>): owner, now (unix ms), lease ms, rate per second, window ms, admitted per
    /// remaining unit, most admissions per step, presence timeout ms, abandon-after ms.
    /// Reply (<see cref="AdmitLayout"/>): {-1} another host holds the lease, {-2} no sale state; otherwise
    /// {through, issued, live admissions, remaining stock, admitted by this step, presence changes, the state's epoch,
    /// the admissions' deadline (0 when none), the count of admitted tickets, then (ticket, user) per admission and the
    /// tickets abandoned (what the host journals).}
    /// <para>Presence: a shopper holding a place is present while seen within the presence timeout (a place read, a
    /// join, or a host reporting its socket). The step first marks the waiting shoppers whose last sight fell past the
    /// timeout since the previous step as absent (<c>:absent</c>, scored by ticket, so positions count only present
    /// shoppers), and drops the places of shoppers absent longer than abandon-after (their ticket is gone; a
    /// placeholder <c>g&lt;ticket&gt;</c> keeps an unreached one counted as absent until the line passes it).</para>
    /// <para>Admission: returning shoppers (<c>:back</c>, skipped while away) first, in ticket order; then the line
    /// from <c>through</c>: a present shopper is admitted, an absent one is skipped (keeps the ticket, resumes on
    /// return), a ticket no longer held is passed. Skipped tickets cost no rate credit, so capacity follows the
    /// shoppers still there; one step scans at most four times its admissions.</para>
    /// The rate is a credit that grows with time (at most one second's worth, at least one shopper) and is spent
    /// one admission at a time; live admissions (deadline not passed) never exceed remaining stock times the admitted
    /// per remaining unit. Nothing is admitted while the line is paused (<c>paused</c> in <c>:queue</c>).
    /// One clock: the sale's window, presence, the admission deadlines written here and the purge of lapsed ones use
    /// Redis <c>TIME</c>, the clock the purchase script checks the deadlines with. The host's clock (its "now") only
    /// paces the rate credit.
    /// </summary>
    public static readonly string Admit = $$"""
        local owner = ARGV[{{AdmitLayout.Owner + 1}}]
        local holder = redis.call('GET', KEYS[6])
        if holder and holder ~= owner then return {{{AdmitLayout.LeaseHeldElsewhere}}} end
        redis.call('SET', KEYS[6], owner, 'PX', ARGV[{{AdmitLayout.LeaseMs + 1}}])
        local m = redis.call('HMGET', KEYS[1], 'starts', 'ends', 'wr', 'epoch')
        if not m[1] then return {{{AdmitLayout.NoState}}} end
        local admittedTickets, abandonedTickets = {}, {}
        local nowstr = ARGV[{{AdmitLayout.Now + 1}}]
        local now = tonumber(nowstr)
        local t = redis.call('TIME')
        local clock = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local q = redis.call('HMGET', KEYS[3], 'issued', 'through', 'at', 'credit', 'cut', 'paused', 'pre')
        local issued = tonumber(q[1] or '0')
        local through = tonumber(q[2] or '0')
        local at = tonumber(q[3] or nowstr)
        local credit = tonumber(q[4] or '1')
        local rate = tonumber(ARGV[{{AdmitLayout.Rate + 1}}])
        redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. string.format('%.0f', clock))
        local live = redis.call('ZCARD', KEYS[5])
        local stock = tonumber(redis.call('GET', KEYS[2]) or '0')
        local changed = 0
        local cut = clock - tonumber(ARGV[{{AdmitLayout.PresenceMs + 1}}])
        local from = '-inf'
        if q[5] then from = '(' .. q[5] end
        for _, user in ipairs(redis.call('ZRANGEBYSCORE', KEYS[8], from, string.format('%.0f', cut))) do
          local ticket = redis.call('HGET', KEYS[7], user)
          if ticket then
            ticket = tonumber(ticket)
            if ticket > through or redis.call('ZREM', KEYS[10], user) == 1 then
              redis.call('ZADD', KEYS[9], ticket, user)
              changed = changed + 1
            end
          end
        end
        local gone = string.format('(%.0f', clock - tonumber(ARGV[{{AdmitLayout.AbandonMs + 1}}]))
        for _, user in ipairs(redis.call('ZRANGEBYSCORE', KEYS[8], '-inf', gone)) do
          redis.call('ZREM', KEYS[8], user)
          local ticket = redis.call('HGET', KEYS[7], user)
          if ticket and redis.call('ZREM', KEYS[9], user) == 1 then
            redis.call('HDEL', KEYS[7], user)
            abandonedTickets[#abandonedTickets + 1] = tonumber(ticket)
            if tonumber(ticket) > through then redis.call('ZADD', KEYS[9], ticket, 'g' .. ticket) end
            redis.call('HINCRBY', KEYS[3], 'abandoned', 1)
            changed = changed + 1
          end
        end
        local n = 0
        local open = m[3] == '1' and clock >= tonumber(m[1]) and clock < tonumber(m[2])
        if open then
          credit = math.min(credit + math.max(0, now - at) * rate / 1000, math.max(1, rate))
        else
          credit = 1 -- before the opening the line only keeps presence: the opening starts like a fresh line
        end
        local deadline = '0'
        if open and q[6] ~= '1' and not q[7] and stock > 0 then
          local room = math.min(math.floor(credit), stock * tonumber(ARGV[{{AdmitLayout.PerRemainingUnit + 1}}]) - live,
            tonumber(ARGV[{{AdmitLayout.MaxPerStep + 1}}]))
          deadline = string.format('%.0f', clock + tonumber(ARGV[{{AdmitLayout.WindowMs + 1}}]))
          if room > 0 then
            local returning = redis.call('ZRANGE', KEYS[10], 0, room - 1, 'WITHSCORES')
            for k = 1, #returning, 2 do
              local user = returning[k]
              redis.call('ZADD', KEYS[5], deadline, user)
              redis.call('ZREM', KEYS[10], user)
              admittedTickets[#admittedTickets + 1] = tonumber(returning[k + 1])
              admittedTickets[#admittedTickets + 1] = user
              n = n + 1
            end
          end
          local budget = 4 * tonumber(ARGV[{{AdmitLayout.MaxPerStep + 1}}])
          while n < room and through < issued and budget > 0 do
            local chunk = math.min(room - n, issued - through, budget)
            local users = redis.call('LRANGE', KEYS[4], through, through + chunk - 1)
            if #users == 0 then break end
            for i, user in ipairs(users) do
              local ticket = through + i
              local own = redis.call('HGET', KEYS[7], user)
              if own and tonumber(own) == ticket then
                if not redis.call('ZSCORE', KEYS[9], user) then
                  local seen = redis.call('ZSCORE', KEYS[8], user)
                  if seen and tonumber(seen) >= cut then
                    redis.call('ZADD', KEYS[5], deadline, user)
                    admittedTickets[#admittedTickets + 1] = ticket
                    admittedTickets[#admittedTickets + 1] = user
                    n = n + 1
                  else
                    redis.call('ZADD', KEYS[9], ticket, user)
                    changed = changed + 1
                  end
                end
              else
                redis.call('ZREM', KEYS[9], 'g' .. ticket)
              end
            end
            through = through + #users
            budget = budget - #users
          end
          credit = credit - n
          live = live + n
          if n > 0 then redis.call('HINCRBY', KEYS[3], 'admittedTotal', n) end
        end
        redis.call('HSET', KEYS[3], 'through', through, 'at', nowstr, 'credit', string.format('%.4f', credit), 'cut', string.format('%.0f', cut))
        local out = {}
        out[{{AdmitLayout.Through + 1}}] = through
        out[{{AdmitLayout.Issued + 1}}] = issued
        out[{{AdmitLayout.Live + 1}}] = live
        out[{{AdmitLayout.Stock + 1}}] = stock
        out[{{AdmitLayout.AdmittedNow + 1}}] = n
        out[{{AdmitLayout.Changed + 1}}] = changed
        out[{{AdmitLayout.Epoch + 1}}] = tonumber(m[4] or '0')
        out[{{AdmitLayout.Deadline + 1}}] = tonumber(deadline or '0')
        out[{{AdmitLayout.AdmittedCount + 1}}] = #admittedTickets / 2
        for _, value in ipairs(admittedTickets) do out[#out + 1] = value end
        for _, ticket in ipairs(abandonedTickets) do out[#out + 1] = ticket end
        return out
        """;

    /// <summary>
    /// Turns a line's pre-queue on (ARGV "1": <c>pre</c> "1", joins then enter the draw) or off ("0") after an admin
    /// changed <c>prequeueSeconds</c>, only while nobody holds a place: no ticket handed out (on) and no entrant (off);
    /// a closed pre-queue ("2") never changes. KEYS: 1 meta, 2 queue, 3 entrants.
    /// Reply: 1 done (or already so), 0 refused (places are held), -1 no sale state (the install reads PostgreSQL).
    /// </summary>
    public static readonly string SetPrequeue = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
        local q = redis.call('HMGET', KEYS[2], 'pre', 'issued')
        if ARGV[1] == '1' then
          if q[1] == '1' then return 1 end
          if q[1] or tonumber(q[2] or '0') > 0 then return 0 end
          redis.call('HSET', KEYS[2], 'pre', '1')
          return 1
        end
        if not q[1] then return 1 end
        if q[1] ~= '1' or redis.call('SCARD', KEYS[3]) > 0 then return 0 end
        redis.call('HDEL', KEYS[2], 'pre')
        return 1
        """;

    /// <summary>
    /// Sets the operator's pause of a line, journaled first in PostgreSQL with a version that grows with every write:
    /// taken only when newer than the version held, so two operators or hosts racing converge on the last write, and a
    /// retry after a failure converges too. KEYS: 1 queue. ARGV: paused "1"/"0", version.
    /// Reply: 1 taken, 0 an equal or newer version is held.
    /// </summary>
    public static readonly string SetPause = """
        if tonumber(redis.call('HGET', KEYS[1], 'pausev') or '0') >= tonumber(ARGV[2]) then return 0 end
        if ARGV[1] == '1' then redis.call('HSET', KEYS[1], 'paused', '1') else redis.call('HDEL', KEYS[1], 'paused') end
        redis.call('HSET', KEYS[1], 'pausev', ARGV[2])
        return 1
        """;

    /// <summary>
    /// The operator's view of a line, read atomically.
    /// KEYS: 1 meta, 2 stock, 3 queue, 4 admitted, 5 absent, 6 back, 7 users.
    /// Reply (<see cref="StatsLayout"/>): {-1} no sale state; otherwise the figures <see cref="StatsLayout"/> names.
    /// Absent places include abandoned tickets the line has not reached yet (they count as nobody there).
    /// </summary>
    public static readonly string Stats = $$"""
        local m = redis.call('HMGET', KEYS[1], 'starts', 'total')
        if not m[1] then return {{{StatsLayout.NoState}}} end
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local q = redis.call('HMGET', KEYS[3], 'issued', 'through', 'paused', 'abandoned', 'admittedTotal')
        local through = tonumber(q[2] or '0')
        local out = {}
        out[{{StatsLayout.Issued + 1}}] = tonumber(q[1] or '0')
        out[{{StatsLayout.Through + 1}}] = through
        out[{{StatsLayout.Paused + 1}}] = (q[3] == '1') and 1 or 0
        out[{{StatsLayout.Abandoned + 1}}] = tonumber(q[4] or '0')
        out[{{StatsLayout.AdmittedTotal + 1}}] = tonumber(q[5] or '0')
        out[{{StatsLayout.AbsentWaiting + 1}}] = redis.call('ZCOUNT', KEYS[5], '(' .. through, '+inf')
        out[{{StatsLayout.Skipped + 1}}] = redis.call('ZCOUNT', KEYS[5], '-inf', through)
        out[{{StatsLayout.Returning + 1}}] = redis.call('ZCARD', KEYS[6])
        out[{{StatsLayout.LiveAdmissions + 1}}] = redis.call('ZCOUNT', KEYS[4], now, '+inf')
        out[{{StatsLayout.Buyers + 1}}] = redis.call('HLEN', KEYS[7])
        out[{{StatsLayout.Total + 1}}] = tonumber(m[2] or '0')
        out[{{StatsLayout.Stock + 1}}] = tonumber(redis.call('GET', KEYS[2]) or '0')
        out[{{StatsLayout.Starts + 1}}] = tonumber(m[1])
        out[{{StatsLayout.Now + 1}}] = now
        return out
        """;

    /// <summary>
    /// Reads what live frames show, in one atomic step that also orders them.
    /// KEYS: 1 meta, 2 stock, 3 queue, 4 absent, 5 back. ARGV: 1 the host's clock (unix ms, unused: the status
    /// follows Redis <c>TIME</c>, the clock purchases are decided on).
    /// Reply (<see cref="SnapshotLayout"/>): {-1} no sale state; otherwise {seq, remaining stock, status, status changed
    /// 0/1, through, waiting room 0/1, returning shoppers, restocked 0/1 (sold out before, on sale again: units came
    /// back), paused 0/1 (the operator holds admission), then pairs (ticket, absent tickets after through up to it)}
    /// where seq grows by one per call (frames carry it so a host drops one that arrives after a newer one) and the
    /// status is the API's (upcoming, active, sold_out, ended); "changed" is 1 once per change across all hosts. The
    /// pairs (at most <see cref="SnapshotLayout.MostCheckpoints"/>, none while nobody is absent) let a screen count
    /// only present shoppers ahead of its ticket without asking.
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
        local q = redis.call('HMGET', KEYS[3], 'through', 'st', 'issued', 'paused')
        local seq = redis.call('HINCRBY', KEYS[3], 'seq', 1)
        local changed = 0
        if q[2] ~= st then
          redis.call('HSET', KEYS[3], 'st', st)
          changed = 1
        end
        local wr = 0
        if m[3] == '1' then wr = 1 end
        local restocked = 0
        if q[2] == 'sold_out' and st == 'active' then restocked = 1 end
        local through = tonumber(q[1] or '0')
        local issued = tonumber(q[3] or '0')
        local out = {}
        out[{{SnapshotLayout.Seq + 1}}] = seq
        out[{{SnapshotLayout.Stock + 1}}] = stock
        out[{{SnapshotLayout.Status + 1}}] = st
        out[{{SnapshotLayout.Changed + 1}}] = changed
        out[{{SnapshotLayout.Through + 1}}] = through
        out[{{SnapshotLayout.WaitingRoom + 1}}] = wr
        out[{{SnapshotLayout.Returning + 1}}] = redis.call('ZCARD', KEYS[5])
        out[{{SnapshotLayout.Restocked + 1}}] = restocked
        out[{{SnapshotLayout.Paused + 1}}] = (q[4] == '1') and 1 or 0
        if issued > through and redis.call('ZCOUNT', KEYS[4], '(' .. through, '+inf') > 0 then
          local step = math.ceil((issued - through) / {{SnapshotLayout.MostCheckpoints}})
          local ticket = through
          while ticket < issued do
            ticket = math.min(issued, ticket + step)
            out[#out + 1] = ticket
            out[#out + 1] = redis.call('ZCOUNT', KEYS[4], '(' .. through, ticket)
          end
        end
        return out
        """;
}
