using System.Net.WebSockets;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using FlashSale.Host.Realtime;
using FlashSale.Host.Sales;
using FlashSale.Testing.WebSockets;

namespace FlashSale.Bench;

/// <summary>
/// One stock event reaching every subscriber of a sale on one host: the host's hub (the frame serialized once,
/// the same bytes sent at once to each idle socket, queued latest-wins behind a send still out) against the naive way
/// (serialize the event for each subscriber and send to each in turn). Sockets are in-memory and complete every
/// send at once, so this measures the host's own fan-out work, not the network.
/// </summary>
[MemoryDiagnoser]
public class WebSocketFanOutBenchmarks
{
    private readonly Guid _sale = Guid.NewGuid();
    private RealtimeHub _hub = null!;
    private readonly SendCounter _sent = new();
    private CountingWebSocket[] _sockets = [];
    private long _seq;

    [Params(1_000, 10_000)]
    public int Subscribers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _hub = new RealtimeHub(new SaleSignals());
        _sockets = new CountingWebSocket[Subscribers];
        for (var i = 0; i < Subscribers; i++)
        {
            _sockets[i] = new CountingWebSocket(_sent);
            var connection = new LiveConnection(_sockets[i], TimeProvider.System, 64, long.MaxValue);
            _hub.Register(connection);
            connection.Subscriptions.Add(_sale);
            _hub.Subscribe(connection, _sale);
        }
    }

    [Benchmark(Baseline = true, Description = "serialize per subscriber, send in turn")]
    public async Task Naive()
    {
        var seq = ++_seq;
        foreach (var socket in _sockets)
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(new StockEvent("stock", _sale, 1_000 - (int)(seq % 1_000), "active", seq));
            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        }
    }

    [Benchmark(Description = "hub: serialize once, same bytes to every socket")]
    public void Hub()
    {
        var seq = ++_seq;
        var target = _sent.Sends + Subscribers;
        _hub.Deliver(LiveFrames.Stock(_sale, seq, 1_000 - (int)(seq % 1_000), "active", 0));
        // Wait until every socket got the frame: the benchmark measures delivery to all, not just the enqueue.
        var spin = new SpinWait();
        while (_sent.Sends < target)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    private sealed record StockEvent(string Type, Guid SaleId, int RemainingStock, string Status, long SentAt);

}
