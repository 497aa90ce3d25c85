using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MimeKit;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace FlashSale.Tests.Notifications;

/// <summary>
/// A real SMTP server in the test process (the SmtpServer package) on a free loopback port: the host's MailKit client
/// talks real SMTP to it. <see cref="Refusing"/> makes it answer every message with a temporary failure (451), the
/// way a mail server that is overloaded or in maintenance does; <see cref="Received"/> holds what it accepted.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    // Not disposed: a cancelled source holds nothing, and disposing it would race a second DisposeAsync.
    private readonly CancellationTokenSource _stop = new();
    private Task? _running;
    private int _refused;

    public SmtpSink(int? port = null) => Port = port ?? FreePort();

    public int Port { get; }

    public ConcurrentQueue<MimeMessage> Received { get; } = new();

    private volatile bool _refusing;

    public bool Refusing
    {
        get => _refusing;
        set => _refusing = value;
    }

    public int Refused => Volatile.Read(ref _refused);

    public async Task<SmtpSink> StartAsync()
    {
        var options = new SmtpServerOptionsBuilder().ServerName("localhost").Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, Port))).Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new Store(this));
        var server = new SmtpServer.SmtpServer(options, services);
        _running = server.StartAsync(_stop.Token);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return this;
            }
            catch (SocketException)
            {
                await Task.Delay(20);
            }
        }
        throw new InvalidOperationException($"The SMTP sink did not start on port {Port}.");
    }

    /// <summary>The messages received so far whose header <c>X-FlashSale-Kind</c> and recipient match.</summary>
    public List<MimeMessage> For(string email, string? kind = null) =>
        Received.Where(m => m.To.Mailboxes.Any(b => b.Address == email) && (kind is null || m.Headers["X-FlashSale-Kind"] == kind)).ToList();

    /// <summary>Waits until <paramref name="count"/> messages match, then a little longer to catch any extra one.</summary>
    public async Task<List<MimeMessage>> WaitForAsync(string email, string kind, int count = 1, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (For(email, kind).Count < count)
        {
            Assert.True(clock.Elapsed < (timeout ?? TimeSpan.FromSeconds(15)), $"{count} '{kind}' email(s) to {email} did not arrive; got {For(email, kind).Count}.");
            await Task.Delay(50);
        }
        await Task.Delay(300);
        return For(email, kind);
    }

    public async ValueTask DisposeAsync()
    {
        if (_running is null)
        {
            return;
        }
        await _stop.CancelAsync();
        if (_running is not null)
        {
            try
            {
                await _running;
            }
            catch (OperationCanceledException)
            {
            }
            _running = null;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class Store(SmtpSink sink) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer,
            CancellationToken cancellationToken)
        {
            if (sink.Refusing)
            {
                Interlocked.Increment(ref sink._refused);
                return new SmtpResponse(SmtpReplyCode.Overloaded, "Try again later");
            }
            using var stream = new MemoryStream(buffer.ToArray());
            sink.Received.Enqueue(await MimeMessage.LoadAsync(stream, cancellationToken));
            return SmtpResponse.Ok;
        }
    }
}
