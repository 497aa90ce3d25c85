using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.WaitingRoom;

namespace FlashSale.Tests.Security;

public sealed class TicketApp : DefaultLimitsApp
{
    public TicketApp()
    {
        Settings["Realtime:TicketSeconds"] = "1";
        Settings["Realtime:AllowedOrigins:0"] = "https://partner.example";
    }
}

/// <summary>Issue 11 item 10: browsers open /ws with a one-use 30 s ticket, never a token in the URL; foreign origins are refused.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class SocketTicketTests(TicketApp app) : IClassFixture<TicketApp>
{
    private static Uri WithTicket(string ticket) => new($"ws://localhost/ws?ticket={Uri.EscapeDataString(ticket)}");

    [Fact]
    public async Task A_ticket_opens_one_socket_and_cannot_be_used_twice()
    {
        var shopper = await app.RegisterShopperAsync();
        using var http = app.WithToken(shopper.AccessToken);
        using var response = await http.PostAsync("/api/v1/realtime/ticket", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var ticket = body.GetProperty("ticket").GetString()!;
        Assert.Equal(1, body.GetProperty("expiresIn").GetInt32());
        Assert.DoesNotContain(shopper.AccessToken, ticket, StringComparison.Ordinal);

        using var socket = await app.Server.CreateWebSocketClient().ConnectAsync(WithTicket(ticket), CancellationToken.None);
        Assert.Equal(WebSocketState.Open, socket.State);

        using var again = await app.Anonymous().GetAsync(WithTicket(ticket).PathAndQuery);
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_ticket_expires_and_a_made_up_one_is_refused()
    {
        var shopper = await app.RegisterShopperAsync();
        var ticket = await app.SocketTicketAsync(shopper.AccessToken);
        await Task.Delay(TimeSpan.FromSeconds(1.6));

        using var client = app.Anonymous();
        await ProblemAssert.IsProblemAsync(await client.GetAsync(WithTicket(ticket).PathAndQuery), HttpStatusCode.Unauthorized, "unauthorized");
        await ProblemAssert.IsProblemAsync(await client.GetAsync(WithTicket(new string('A', 43)).PathAndQuery), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Only_a_signed_in_user_gets_a_ticket()
    {
        using var client = app.Anonymous();
        await ProblemAssert.IsProblemAsync(await client.PostAsync("/api/v1/realtime/ticket", null), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Theory]
    [InlineData("https://evil.example", false)]
    [InlineData("http://localhost.evil.example", false)]
    [InlineData("http://localhost", true)]
    [InlineData("https://partner.example", true)]
    public async Task An_upgrade_from_a_foreign_page_origin_is_refused_403(string origin, bool allowed)
    {
        var shopper = await app.RegisterShopperAsync();
        var client = app.Server.CreateWebSocketClient();
        client.ConfigureRequest = request => request.Headers.Origin = origin;
        var ticket = await app.SocketTicketAsync(shopper.AccessToken);
        if (allowed)
        {
            using var socket = await client.ConnectAsync(WithTicket(ticket), CancellationToken.None);
            Assert.Equal(WebSocketState.Open, socket.State);
            return;
        }
        using var http = app.WithToken(shopper.AccessToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ws");
        request.Headers.Add("Origin", origin);
        await ProblemAssert.IsProblemAsync(await http.SendAsync(request), HttpStatusCode.Forbidden, "origin-not-allowed");
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync(WithTicket(ticket), CancellationToken.None));
        Assert.Contains("403", refused.Message, StringComparison.Ordinal);
    }
}
