using System.Net.WebSockets;
using FlashSale.Engine.Core;
using FlashSale.Engine.Redis;
using FlashSale.Host.Health;
using FlashSale.Host.Infrastructure.Redis;
using FlashSale.Host.Infrastructure.Telemetry;
using FlashSale.Host.Realtime;
using FlashSale.Host.Sales;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace FlashSale.Tests.Telemetry;

/// <summary>Each figure is recorded where it is known, with the tags the rules and the admin page read.</summary>
[Trait("Category", TestCategory.Unit)]
public sealed class HostMetricsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 3, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_purchase_is_counted_by_sale_and_snake_case_outcome()
    {
        using var recorder = new MeterRecorder(HostMetrics.MeterName);
        var sale = Guid.NewGuid();

        HostMetrics.CountPurchase(sale, PurchaseStatus.Accepted);
        HostMetrics.CountPurchase(sale, PurchaseStatus.SoldOut);
        HostMetrics.CountPurchase(sale, PurchaseStatus.SoldOut);
        HostMetrics.CountPurchase(sale, PurchaseStatus.SaleNotActive);

        var mine = recorder.Of("flashsale.purchases").Where(m => m.Tag("sale") == sale.ToString()).ToList();
        Assert.Equal(1, mine.Where(m => m.Tag("outcome") == "accepted").Sum(m => m.Value));
        Assert.Equal(2, mine.Where(m => m.Tag("outcome") == "sold_out").Sum(m => m.Value));
        Assert.Equal(1, mine.Where(m => m.Tag("outcome") == "sale_not_active").Sum(m => m.Value));
    }

    [Fact]
    public void A_fan_out_counts_one_frame_per_socket_and_records_its_lag_from_the_frames_sentAt()
    {
        using var recorder = new MeterRecorder(HostMetrics.MeterName);
        var clock = new FakeTimeProvider(Now);
        var hub = new RealtimeHub(new SaleSignals(), clock);
        var sale = Guid.NewGuid();
        foreach (var _ in Enumerable.Range(0, 3))
        {
            var connection = new LiveConnection(new AcceptingWebSocket(), clock, 16, long.MaxValue);
            hub.Register(connection);
            connection.Subscriptions.Add(sale);
            hub.Subscribe(connection, sale);
        }

        hub.Deliver(LiveFrames.Stock(sale, 1, 9, "active", Now.ToUnixTimeMilliseconds() - 120));

        var tag = sale.ToString();
        Assert.Equal(3, recorder.Of("flashsale.realtime.frames").Where(m => m.Tag("sale") == tag).Sum(m => m.Value));
        Assert.Equal(120, Assert.Single(recorder.Of("flashsale.realtime.frame.lag"), m => m.Tag("sale") == tag).Value);
    }

    [Fact]
    public void A_bundle_counts_each_of_its_frames_for_each_socket()
    {
        using var recorder = new MeterRecorder(HostMetrics.MeterName);
        var clock = new FakeTimeProvider(Now);
        var hub = new RealtimeHub(new SaleSignals(), clock);
        var sale = Guid.NewGuid();
        foreach (var _ in Enumerable.Range(0, 2))
        {
            var connection = new LiveConnection(new AcceptingWebSocket(), clock, 16, long.MaxValue);
            hub.Register(connection);
            connection.Subscriptions.Add(sale);
            hub.Subscribe(connection, sale);
        }
        var sentAt = Now.ToUnixTimeMilliseconds() - 40;

        hub.Deliver(LiveFrames.Bundle([LiveFrames.Stock(sale, 1, 9, "active", sentAt), LiveFrames.Queue(sale, 1, 100, 50, sentAt)]));

        var tag = sale.ToString();
        Assert.Equal(4, recorder.Of("flashsale.realtime.frames").Where(m => m.Tag("sale") == tag).Sum(m => m.Value));
        Assert.Equal(40, Assert.Single(recorder.Of("flashsale.realtime.frame.lag"), m => m.Tag("sale") == tag).Value);
    }

    [Fact]
    public void Open_sockets_go_up_and_down_once_per_socket()
    {
        using var recorder = new MeterRecorder(HostMetrics.MeterName);
        var hub = new RealtimeHub(new SaleSignals());
        var connection = new LiveConnection(new AcceptingWebSocket(), TimeProvider.System, 16, long.MaxValue);

        hub.Register(connection);
        hub.Register(connection);
        var afterRegister = Mine().Sum(m => m.Value);
        hub.Unregister(connection);
        hub.Unregister(connection);

        Assert.Equal(1, afterRegister);
        Assert.Equal(0, Mine().Sum(m => m.Value));
        Assert.Equal(2, Mine().Count());

        // Other tests open sockets on other threads at the same time; these calls ran on this one.
        IEnumerable<Measurement> Mine() => recorder.Of("flashsale.realtime.sockets").Where(m => m.ThreadId == Environment.CurrentManagedThreadId).ToList();
    }

    [Theory]
    [InlineData(1796526302441L)]
    [InlineData(0L)]
    public void The_sentAt_of_a_frame_is_read_from_its_last_field(long sentAt) =>
        Assert.Equal(sentAt, LiveFrames.SentAt(LiveFrames.Queue(Guid.NewGuid(), 3, 100, 50, sentAt)));

    [Fact]
    public void A_frame_without_sentAt_reads_as_zero() => Assert.Equal(0, LiveFrames.SentAt(LiveFrames.Pong));

    [Fact]
    public void A_reconciler_pass_records_what_it_found_and_when_it_succeeded()
    {
        using var recorder = new MeterRecorder(HostMetrics.MeterName);

        ReconcilerMetrics.Passed(new ReconcileResult(Sales: 2, EntriesCommitted: 3, EntriesTrimmed: 7, MalformedEntries: 0, SalesRemoved: 0), new FakeTimeProvider(Now));
        ReconcilerMetrics.Failed();

        var thread = Environment.CurrentManagedThreadId;
        Assert.Equal(7, Assert.Single(recorder.Of("flashsale.reconciler.backlog"), m => m.ThreadId == thread).Value);
        Assert.Equal(3, Assert.Single(recorder.Of("flashsale.reconciler.replayed"), m => m.ThreadId == thread).Value);
        Assert.Equal(Now.ToUnixTimeSeconds(), Assert.Single(recorder.Of("flashsale.reconciler.last_success"), m => m.ThreadId == thread).Value);
        var passes = recorder.Of("flashsale.reconciler.passes").Where(m => m.ThreadId == thread).ToList();
        Assert.Equal(["ok", "failed"], passes.Select(m => m.Tag("outcome")));
    }

    [Fact]
    public void An_admission_step_records_the_lines_length_and_who_got_in()
    {
        using var recorder = new MeterRecorder(HostMetrics.MeterName);
        var sale = Guid.NewGuid();

        LineMetrics.Record(sale, new AdmissionStep(Leader: true, SaleKnown: true, AdmittedThrough: 40, Issued: 100, LiveAdmissions: 25,
            RemainingStock: 10, AdmittedNow: 5));

        var tag = sale.ToString();
        Assert.Equal(60, Assert.Single(recorder.Of("flashsale.line.length"), m => m.Tag("sale") == tag).Value);
        Assert.Equal(25, Assert.Single(recorder.Of("flashsale.line.admitted_live"), m => m.Tag("sale") == tag).Value);
        Assert.Equal(5, Assert.Single(recorder.Of("flashsale.line.admitted"), m => m.Tag("sale") == tag).Value);
    }

    [Theory]
    [InlineData(new long[0], 0)]
    [InlineData(new long[] { 120, 3, 240, 7 }, 7)]
    public void A_snapshot_records_the_absent_shoppers_its_last_checkpoint_counts(long[] absentAhead, long absent)
    {
        using var recorder = new MeterRecorder(HostMetrics.MeterName);
        var sale = Guid.NewGuid();

        LineMetrics.Record(sale, new SaleSnapshot(1, 10, "active", false, 100, WaitingRoom: true, AbsentAhead: absentAhead));

        Assert.Equal(absent, Assert.Single(recorder.Of("flashsale.line.absent"), m => m.Tag("sale") == sale.ToString()).Value);
    }

    [Fact]
    public async Task A_postgres_that_does_not_answer_is_reported_down_and_an_unconfigured_redis_not_at_all()
    {
        using var recorder = new MeterRecorder(HostMetrics.MeterName);
        // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
        await using var nowhere = NpgsqlDataSource.Create("Host=127.0.0.1;Port=9;Username=x;Password=x;Database=x;Timeout=2");
        var probe = new DependencyProbe(nowhere, new RedisHealth(null), TimeProvider.System);

        await probe.ProbeOnceAsync(CancellationToken.None);

        // Other hosts' probes record "up" meanwhile; only this probe reports a dead PostgreSQL.
        Assert.Contains(recorder.Of("flashsale.dependency.up"), m => m.Tag("dependency") == "postgres" && m.Value == 0);
    }

    /// <summary>A socket whose sends complete at once.</summary>
    private sealed class AcceptingWebSocket : WebSocket
    {
        public override WebSocketCloseStatus? CloseStatus => null;
        public override string? CloseStatusDescription => null;
        public override WebSocketState State => WebSocketState.Open;
        public override string? SubProtocol => null;
        public override void Abort() { }
        public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) => Task.CompletedTask;
        public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) => Task.CompletedTask;
        public override void Dispose() { }
        public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) =>
            new TaskCompletionSource<WebSocketReceiveResult>().Task;
        public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
            Task.CompletedTask;
    }
}
