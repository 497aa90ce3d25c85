using FlashSale.Engine.Redis;
using FlashSale.Tests.Redis;

namespace FlashSale.Tests.WaitingRoom;

/// <summary>
/// No dead places, at the script level with real Redis and short presence times: absent shoppers are skipped and keep
/// their ticket, a returning one is admitted first at the next step, an abandoned one must join again, and positions
/// count only present shoppers.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class PresenceScriptTests(RedisConnection redis) : IClassFixture<RedisConnection>
{
    private const long PresenceMs = 300;
    private const long AbandonMs = 2_000; // far enough above the presence timeout for a loaded machine's delays

    private static AdmissionPolicy Policy(int rate = 100) => new(rate, 60_000, 2, 5_000, 100, PresenceMs, AbandonMs);

    private async Task<(RedisWaitingRoom Room, Guid SaleId, RedisSaleKeys Keys)> OpenLineAsync(int stock = 100)
    {
        var saleId = redis.NewSale().SaleId;
        var keys = RedisSaleKeys.For(saleId);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await redis.Database.HashSetAsync(keys.Meta, [new("starts", now - 1_000), new("ends", now + 600_000), new("wr", "1")]);
        await redis.Database.StringSetAsync(keys.Stock, stock);
        return (new RedisWaitingRoom(redis.Multiplexer), saleId, keys);
    }

    /// <summary>An open line with <paramref name="count"/> shoppers joined in order, paused: steps keep presence but admit nobody.</summary>
    private async Task<(RedisWaitingRoom Room, Guid SaleId, RedisSaleKeys Keys, Guid[] Shoppers)> PausedLineAsync(int count)
    {
        var (room, saleId, keys) = await OpenLineAsync();
        var shoppers = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToArray();
        foreach (var shopper in shoppers)
        {
            await room.JoinAsync(saleId, shopper, Now, join: true);
        }
        await redis.Database.HashSetAsync(keys.Queue, "paused", "1");
        return (room, saleId, keys, shoppers);
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Keeps <paramref name="present"/> seen (as a socket's host reports them) for <paramref name="span"/>.</summary>
    private static async Task KeepPresentAsync(RedisWaitingRoom room, Guid saleId, Guid[] present, TimeSpan span)
    {
        var until = DateTime.UtcNow + span;
        while (DateTime.UtcNow < until)
        {
            Assert.Equal(present.Length, await room.TouchAsync(saleId, present));
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Absent_shoppers_are_skipped_a_returning_one_is_admitted_at_the_next_step_and_an_abandoned_one_must_join_again()
    {
        var (room, saleId, keys, shoppers) = await PausedLineAsync(6);
        Guid[] present = [shoppers[0], shoppers[3], shoppers[4], shoppers[5]];

        await KeepPresentAsync(room, saleId, present, TimeSpan.FromMilliseconds(PresenceMs + 200));
        var paused = await room.AdmitAsync(saleId, "host-a", Now, Policy());
        var last = await room.JoinAsync(saleId, shoppers[5], Now, join: false);

        Assert.Equal(2, paused.PresenceChanges);
        Assert.Equal(0, paused.AdmittedNow);
        Assert.Equal(6, last.Ticket);
        Assert.Equal(4, last.Position); // tickets 2 and 3 are away: only 1, 4, 5 and 6 count

        await redis.Database.HashDeleteAsync(keys.Queue, "paused");
        var step = await room.AdmitAsync(saleId, "host-a", Now + 1_000, Policy());

        Assert.Equal(4, step.AdmittedNow);
        Assert.Equal(6, step.AdmittedThrough);
        foreach (var shopper in present)
        {
            Assert.True((await room.JoinAsync(saleId, shopper, Now, join: false)).Admitted);
        }

        // The second shopper comes back within the window: same ticket, first in line, admitted at the next step.
        var back = await room.JoinAsync(saleId, shoppers[1], Now, join: false);
        Assert.Equal((QueueOutcome.InLine, 2L, false, 1L), (back.Outcome, back.Ticket, back.Admitted, back.Position));
        var next = await room.AdmitAsync(saleId, "host-a", Now, Policy());
        Assert.Equal(1, next.AdmittedNow);
        Assert.True((await room.JoinAsync(saleId, shoppers[1], Now, join: false)).Admitted);

        // The third stays away past abandon-after: the place is gone; joining again starts at the back.
        await Task.Delay(TimeSpan.FromMilliseconds(AbandonMs + 200));
        var dropped = await room.AdmitAsync(saleId, "host-a", Now, Policy());
        Assert.Equal(1, dropped.PresenceChanges);
        Assert.Equal(QueueOutcome.NotInLine, (await room.JoinAsync(saleId, shoppers[2], Now, join: false)).Outcome);
        Assert.Equal(7, (await room.JoinAsync(saleId, shoppers[2], Now, join: true)).Ticket);
        Assert.Equal(1, (long)await redis.Database.HashGetAsync(keys.Queue, "abandoned"));
    }

    [Fact]
    public async Task An_abandoned_ticket_the_line_has_not_reached_still_counts_as_absent_until_the_line_passes_it()
    {
        var (room, saleId, keys, shoppers) = await PausedLineAsync(3);

        // The first two leave for good; the third stays.
        await KeepPresentAsync(room, saleId, [shoppers[2]], TimeSpan.FromMilliseconds(PresenceMs + 200));
        var away = await room.AdmitAsync(saleId, "host-a", Now, Policy());
        Assert.Equal(2, away.PresenceChanges);
        await KeepPresentAsync(room, saleId, [shoppers[2]], TimeSpan.FromMilliseconds(AbandonMs));
        var dropped = await room.AdmitAsync(saleId, "host-a", Now, Policy());

        Assert.Equal(2, dropped.PresenceChanges);
        Assert.Equal(1, (await room.JoinAsync(saleId, shoppers[2], Now, join: false)).Position);

        await redis.Database.HashDeleteAsync(keys.Queue, "paused");
        var step = await room.AdmitAsync(saleId, "host-a", Now + 1_000, Policy());
        Assert.Equal((1, 3L), (step.AdmittedNow, step.AdmittedThrough));
        Assert.Equal(0, await redis.Database.SortedSetLengthAsync(keys.Absent)); // the placeholders went with the line
    }

    [Fact]
    public async Task A_skipped_ticket_costs_no_rate_credit_so_admission_follows_the_shoppers_still_there()
    {
        var (room, saleId, keys, shoppers) = await PausedLineAsync(10);
        Guid[] present = [.. shoppers.Where((_, i) => i % 2 == 1)];
        await KeepPresentAsync(room, saleId, present, TimeSpan.FromMilliseconds(PresenceMs + 200));
        await room.AdmitAsync(saleId, "host-a", Now, Policy(rate: 3));
        await redis.Database.HashDeleteAsync(keys.Queue, "paused");

        var step = await room.AdmitAsync(saleId, "host-a", Now + 1_000, Policy(rate: 3));

        // Three admissions of present shoppers (tickets 2, 4, 6), passing the absent 1, 3 and 5 on the way.
        Assert.Equal((3, 6L), (step.AdmittedNow, step.AdmittedThrough));
        var admitted = await redis.Database.SortedSetRangeByRankAsync(keys.Admitted);
        Assert.Equal(present.Take(3).Select(RedisSaleKeys.Member).Order(), admitted.Select(v => v.ToString()).Order());
    }
}
