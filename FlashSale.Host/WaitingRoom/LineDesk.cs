using System.Collections.Concurrent;
using System.Threading.Channels;
using FlashSale.Engine.Postgres;
using FlashSale.Engine.Redis;
using Microsoft.Extensions.Options;

namespace FlashSale.Host.WaitingRoom;

/// <summary>A sale's line has more joins and place reads waiting than <see cref="WaitingRoomOptions.MaxWaitingPlaces"/>.</summary>
public sealed class LineBusyException() : Exception("The line's desk is full.");

/// <summary>
/// Joins and place reads (<c>queue</c>, <c>queue/me</c>) of each sale go through one writer, as purchases do: each
/// request queues on its sale, one loop per sale takes everything queued (up to
/// <see cref="WaitingRoomOptions.MaxPlacesPerCall"/>) and answers all of it with ONE Lua call. In a rush of 10,000
/// joins in a second Redis runs a few dozen calls instead of 10,000, and tickets follow the order the requests
/// reached this host. A full queue refuses at once (<see cref="LineBusyException"/>, a 503 with Retry-After) rather
/// than letting waits grow without bound.
/// <para>A ticket handed out is answered only once it is journaled in PostgreSQL (<see cref="PostgresLineJournal"/>),
/// so a line rebuilt after a Redis data loss holds every ticket a shopper was ever told.</para>
/// </summary>
public sealed class LineDesk(RedisWaitingRoom room, PostgresLineJournal journal, IOptions<WaitingRoomOptions> options)
{
    private readonly ConcurrentDictionary<Guid, SaleLine> _lines = new();

    /// <summary>Joins the line (<paramref name="join"/>) or reads the shopper's place, batched with the sale's other requests.</summary>
    public Task<QueuePlace> PlaceAsync(Guid saleId, Guid userId, bool join)
    {
        if (!_lines.TryGetValue(saleId, out var line))
        {
            line = _lines.GetOrAdd(saleId, id => new SaleLine(id, room, journal, options.Value));
        }
        return line.PlaceAsync(userId, join);
    }

    private sealed class SaleLine
    {
        private readonly Guid _saleId;
        private readonly RedisWaitingRoom _room;
        private readonly PostgresLineJournal _journal;
        private readonly int _maxPerCall;
        private readonly Channel<Ask> _asks;

        public SaleLine(Guid saleId, RedisWaitingRoom room, PostgresLineJournal journal, WaitingRoomOptions settings)
        {
            _saleId = saleId;
            _room = room;
            _journal = journal;
            _maxPerCall = settings.MaxPlacesPerCall;
            _asks = Channel.CreateBounded<Ask>(new BoundedChannelOptions(settings.MaxWaitingPlaces)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
            _ = Task.Run(RunAsync);
        }

        /// <summary>
        /// Answers new tickets only once PostgreSQL holds them (a join answered is never lost to a Redis data loss). A
        /// ticket the journal could not take is taken back from Redis and its join answered with the failure (503:
        /// nothing changed), so a retry cannot be answered with a ticket the journal never saw.
        /// </summary>
        private async Task AnswerJournaledAsync(long epoch, List<(Ask Ask, QueuePlace Place)> fresh)
        {
            var tickets = fresh.ConvertAll(f => (f.Ask.UserId, f.Place.Ticket));
            try
            {
                await _journal.AppendTicketsAsync(_saleId, epoch, tickets).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // every caller gets the failure
            catch (Exception e)
#pragma warning restore CA1031
            {
                try
                {
                    await _room.RevokeAsync(_saleId, tickets).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // Redis is failing too: the ticket stays unjournaled (docs/REALTIME.md, "Redis data loss")
                catch (Exception)
#pragma warning restore CA1031
                {
                }
                foreach (var (ask, _) in fresh)
                {
                    ask.Answer.TrySetException(e);
                }
                return;
            }
            foreach (var (ask, place) in fresh)
            {
                ask.Answer.TrySetResult(place);
            }
        }

        private readonly record struct Ask(Guid UserId, bool Join, TaskCompletionSource<QueuePlace> Answer);

        public Task<QueuePlace> PlaceAsync(Guid userId, bool join)
        {
            var answer = new TaskCompletionSource<QueuePlace>(TaskCreationOptions.RunContinuationsAsynchronously);
            return _asks.Writer.TryWrite(new Ask(userId, join, answer)) ? answer.Task : Task.FromException<QueuePlace>(new LineBusyException());
        }

        private async Task RunAsync()
        {
            var batch = new List<Ask>(_maxPerCall);
            var shoppers = new List<(Guid, bool)>(_maxPerCall);
            var places = new QueuePlace[_maxPerCall];
            var reader = _asks.Reader;
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                batch.Clear();
                shoppers.Clear();
                while (batch.Count < _maxPerCall && reader.TryRead(out var ask))
                {
                    batch.Add(ask);
                    shoppers.Add((ask.UserId, ask.Join));
                }
                try
                {
                    var epoch = await _room.PlaceManyAsync(_saleId, shoppers, places).ConfigureAwait(false);
                    List<(Ask Ask, QueuePlace Place)>? fresh = null;
                    for (var i = 0; i < batch.Count; i++)
                    {
                        if (places[i].Fresh)
                        {
                            (fresh ??= []).Add((batch[i], places[i]));
                        }
                        else
                        {
                            batch[i].Answer.TrySetResult(places[i]);
                        }
                    }
                    if (fresh is not null)
                    {
                        // The sale's next Redis call waits for this commit, so no later call (the same shopper joining
                        // again, a place read) can answer a ticket the journal may still refuse. The journal groups
                        // the commits of every sale's desk in one transaction.
                        await AnswerJournaledAsync(epoch, fresh).ConfigureAwait(false);
                    }
                }
                catch (Exception e)
                {
                    // Every request of the batch gets the failure (a Redis outage answers 503); the loop goes on.
                    foreach (var ask in batch)
                    {
                        ask.Answer.TrySetException(e);
                    }
                }
            }
        }
    }
}
