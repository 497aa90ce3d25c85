using System.Collections.Concurrent;
using System.Threading.Channels;
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
/// </summary>
public sealed class LineDesk(RedisWaitingRoom room, IOptions<WaitingRoomOptions> options)
{
    private readonly ConcurrentDictionary<Guid, SaleLine> _lines = new();

    /// <summary>Joins the line (<paramref name="join"/>) or reads the shopper's place, batched with the sale's other requests.</summary>
    public Task<QueuePlace> PlaceAsync(Guid saleId, Guid userId, bool join)
    {
        if (!_lines.TryGetValue(saleId, out var line))
        {
            line = _lines.GetOrAdd(saleId, id => new SaleLine(id, room, options.Value));
        }
        return line.PlaceAsync(userId, join);
    }

    private sealed class SaleLine
    {
        private readonly Guid _saleId;
        private readonly RedisWaitingRoom _room;
        private readonly int _maxPerCall;
        private readonly Channel<Ask> _asks;

        public SaleLine(Guid saleId, RedisWaitingRoom room, WaitingRoomOptions settings)
        {
            _saleId = saleId;
            _room = room;
            _maxPerCall = settings.MaxPlacesPerCall;
            _asks = Channel.CreateBounded<Ask>(new BoundedChannelOptions(settings.MaxWaitingPlaces)
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
            _ = Task.Run(RunAsync);
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
                    await _room.PlaceManyAsync(_saleId, shoppers, places).ConfigureAwait(false);
                    for (var i = 0; i < batch.Count; i++)
                    {
                        batch[i].Answer.TrySetResult(places[i]);
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
