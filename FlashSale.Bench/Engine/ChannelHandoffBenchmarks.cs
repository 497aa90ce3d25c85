using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using FlashSale.Engine.Core;

namespace FlashSale.Bench.Engine;

/// <summary>
/// Hand-off of items from 1, 2 or 8 producers to one batch-draining reader: the engine's intake (lock-free channel
/// behind an admission counter) against a plain bounded <see cref="Channel{T}"/> of the same capacity (the baseline,
/// which takes a monitor per write) and a plain unbounded single-reader channel (no bound at all). Items are
/// preallocated references, as the engine hands over pooled operations, so only the hand-off is measured.
/// </summary>
[MemoryDiagnoser]
public class ChannelHandoffBenchmarks
{
    private const int Items = 1 << 16;
    private const int Capacity = 16_384;
    private const int BatchLimit = 1_024;

    private Item[] _items = null!;
    private Item?[] _buffer = null!;

    [Params(1, 2, 8)]
    public int Producers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _items = new Item[Items];
        for (var i = 0; i < Items; i++)
        {
            _items[i] = new Item(i);
        }

        _buffer = new Item?[BatchLimit];
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    public long BoundedChannel()
    {
        var channel = Channel.CreateBounded<Item>(new BoundedChannelOptions(Capacity)
        {
            SingleReader = true,
            SingleWriter = Producers == 1,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var producers = StartProducers(async (from, to) =>
        {
            for (var i = from; i < to; i++)
            {
                if (!channel.Writer.TryWrite(_items[i]))
                {
                    await channel.Writer.WriteAsync(_items[i]).ConfigureAwait(false);
                }
            }
        });
        var sum = Drain(channel.Reader);
        Task.WaitAll(producers);
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Items)]
    public long UnboundedChannel()
    {
        var channel = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions { SingleReader = true });
        var producers = StartProducers((from, to) =>
        {
            for (var i = from; i < to; i++)
            {
                channel.Writer.TryWrite(_items[i]);
            }

            return Task.CompletedTask;
        });
        var sum = Drain(channel.Reader);
        Task.WaitAll(producers);
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Items)]
    public long EngineIntake()
    {
        var intake = new BoundedIntake<Item>(Capacity);
        var producers = StartProducers((from, to) =>
        {
            for (var i = from; i < to; i++)
            {
                // The engine answers Overloaded here; the benchmark must deliver every item, so it waits its turn.
                var spin = new SpinWait();
                while (intake.TryWrite(_items[i]) == IntakeWriteResult.Full)
                {
                    spin.SpinOnce();
                }
            }

            return Task.CompletedTask;
        });

        long sum = 0;
        var received = 0;
        while (received < Items)
        {
            if (!intake.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                break;
            }

            var n = intake.TryReadBatch(_buffer);
            for (var k = 0; k < n; k++)
            {
                sum += _buffer[k]!.Value;
                _buffer[k] = null;
            }

            received += n;
        }

        Task.WaitAll(producers);
        return sum;
    }

    private static long Drain(ChannelReader<Item> reader)
    {
        long sum = 0;
        var received = 0;
        while (received < Items)
        {
            if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                break;
            }

            // Drain up to a batch, as the engine loop does.
            var n = 0;
            while (n < BatchLimit && reader.TryRead(out var item))
            {
                sum += item.Value;
                n++;
            }

            received += n;
        }

        return sum;
    }

    private Task[] StartProducers(Func<int, int, Task> produce)
    {
        var tasks = new Task[Producers];
        var share = Items / Producers;
        for (var p = 0; p < Producers; p++)
        {
            var from = p * share;
            var to = p == Producers - 1 ? Items : (p + 1) * share;
            tasks[p] = Task.Run(() => produce(from, to));
        }

        return tasks;
    }

    public sealed class Item(int value)
    {
        public int Value { get; } = value;
    }
}
