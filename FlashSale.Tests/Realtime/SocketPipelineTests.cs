using System.Net;
using System.Net.WebSockets;
using System.Reflection;
using FlashSale.Host.Infrastructure.Hosting;
using FlashSale.Host.Infrastructure.Security;
using FlashSale.Tests.Security;
using FlashSale.Tests.WaitingRoom;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlashSale.Tests.Realtime;

/// <summary>A real Kestrel host whose transport keeps at most 2 free blocks.</summary>
public sealed class SmallBlockPoolApp : KestrelApp
{
    public SmallBlockPoolApp()
    {
        Settings["Connections:MaxPooledBlocks"] = "2";
    }

    /// <summary>
    /// WebApplicationFactory's UseKestrel registers Kestrel's own pool factory again, after every service of the host
    /// and of the test; a host process registers Kestrel once, before the host's services, so the transport takes the
    /// host's factory (<see cref="BlockPoolRegistrationTests"/>). The test gives the transport the host's factory the
    /// only way that comes after UseKestrel (the option is internal), so it runs the transport a host process runs.
    /// </summary>
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddOptions<SocketTransportOptions>()
            .PostConfigure<TransportBlockPoolFactory>((options, pools) => BlockPoolRegistrationTests.TransportFactory.SetValue(options, pools)));
    }
}

/// <summary>The host as Program builds it resolves the bounded pool factory, not Kestrel's.</summary>
[Trait("Category", TestCategory.Unit)]
public sealed class BlockPoolRegistrationTests
{
    [Fact]
    public async Task The_host_gives_Kestrel_the_bounded_block_pool()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Database=unused",
            ["ConnectionStrings:Redis"] = "127.0.0.1:1",
            ["Jwt:SigningKey"] = new string('k', 64),
        });
        builder.AddFlashSale();
        await using var host = builder.Build();

        Assert.IsType<TransportBlockPoolFactory>(host.Services.GetRequiredService<IMemoryPoolFactory<byte>>());
        // What the socket transport is given (an internal option, filled from that service).
        Assert.IsType<TransportBlockPoolFactory>(TransportFactory.GetValue(host.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value));
    }

    /// <summary>SocketTransportOptions.MemoryPoolFactory, internal to Kestrel.</summary>
    internal static readonly PropertyInfo TransportFactory =
        typeof(SocketTransportOptions).GetProperty("MemoryPoolFactory", BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new InvalidOperationException("Kestrel's socket transport no longer has a MemoryPoolFactory option.");
}

/// <summary>
/// Issue 10 (socket memory): sockets still work on real Kestrel with the bounded transport block pool, and /ws is
/// served ahead of the middleware that would hold state for each socket's life, with its refusals unchanged.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class SocketPipelineTests(SmallBlockPoolApp app) : IClassFixture<SmallBlockPoolApp>
{
    private async Task<ClientWebSocket> ConnectAsync(string token)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{app.Port}/ws"), CancellationToken.None);
        return socket;
    }

    [Fact]
    public async Task Sockets_work_through_the_bounded_block_pool_and_it_keeps_no_more_than_its_cap()
    {
        var sale = await app.CreateSaleAsync(stock: 5, waitingRoom: false);
        var sockets = new List<ClientWebSocket>();
        for (var i = 0; i < 12; i++)
        {
            sockets.Add(await ConnectAsync((await app.RegisterShopperAsync()).AccessToken));
        }
        foreach (var socket in sockets)
        {
            await socket.SubscribeAsync(sale);
            var stock = await socket.WaitForFrameAsync(f => f.Is("stock", sale), TimeSpan.FromSeconds(5), "the initial stock frame");
            Assert.Equal(5, stock.GetProperty("remainingStock").GetInt32());
            await socket.SendTextAsync("""{"type":"ping"}""");
            await socket.WaitForFrameAsync(f => f.Is("pong"), TimeSpan.FromSeconds(5), "the pong");
        }
        foreach (var socket in sockets)
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
            socket.Dispose();
        }

        var pools = app.Services.GetRequiredService<TransportBlockPoolFactory>();
        Assert.True(pools.PoolsCreated >= 1, "Kestrel's transport takes its pools from our factory");
        // Twelve handshakes and their frames went through the transport's blocks; at most 2 free ones stay.
        Assert.InRange(pools.Budget.Kept, 1, 2);
    }

    [Fact]
    public async Task A_socket_without_a_ticket_is_still_refused_with_a_problem_and_the_security_headers()
    {
        _ = app.Services;
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{app.Port}/ws");
        request.Headers.Add("Connection", "Upgrade");
        request.Headers.Add("Upgrade", "websocket");
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(new byte[16]));
        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpHardening.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public void The_socket_route_takes_the_short_way_and_nothing_that_needs_authorization_or_a_rate_limit_does()
    {
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        var socket = Assert.Single(endpoints, e => e.RoutePattern.RawText == "/ws");
        Assert.True(LongLivedEndpoints.TakesShortcut(socket));
        Assert.All(endpoints.Where(e => e.RoutePattern.RawText != "/ws"), e => Assert.False(LongLivedEndpoints.TakesShortcut(e), e.DisplayName));
    }

    [Fact]
    public void A_marked_endpoint_that_asks_for_authorization_or_a_rate_limit_goes_the_whole_way()
    {
        Assert.True(LongLivedEndpoints.TakesShortcut(Marked()));
        Assert.False(LongLivedEndpoints.TakesShortcut(Marked(new Microsoft.AspNetCore.Authorization.AuthorizeAttribute())));
        Assert.False(LongLivedEndpoints.TakesShortcut(Marked(new Microsoft.AspNetCore.RateLimiting.EnableRateLimitingAttribute(RateLimitPolicies.Shopper))));
        Assert.False(LongLivedEndpoints.TakesShortcut(new Endpoint(_ => Task.CompletedTask, new EndpointMetadataCollection(), "unmarked")));
        Assert.False(LongLivedEndpoints.TakesShortcut(null));
    }

    private static Endpoint Marked(params object[] more) =>
        new(_ => Task.CompletedTask, new EndpointMetadataCollection([LongLivedRequestMetadata.Instance, .. more]), "marked");
}
