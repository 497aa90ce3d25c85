using System.Net;
using System.Net.Http.Json;
using FlashSale.Host.Infrastructure.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlashSale.Tests.Security;

public sealed class BehindProxyApp : PeerAddressApp
{
    public const string Proxy = "10.0.0.1";

    public BehindProxyApp()
    {
        Settings["ForwardedHeaders:KnownProxies:0"] = Proxy;
        Settings["RateLimits:Auth:PermitLimit"] = "2";
        Settings["RateLimits:Auth:WindowSeconds"] = "300";
    }
}

/// <summary>Issue 11 item 1: forwarded headers only from configured proxies; limits count the real client, IPv6 by /64.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class ForwardedHeadersTests(BehindProxyApp app) : IClassFixture<BehindProxyApp>
{
    private async Task<HttpStatusCode> SignInAsync(string peer, string? forwardedFor)
    {
        using var client = app.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/auth/login")
        {
            Content = JsonContent.Create(new { email = $"nobody-{Guid.NewGuid():N}@example.com", password = "wrong password" }),
        };
        request.Headers.Add(PeerAddressFilter.Header, peer);
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task Behind_the_trusted_proxy_each_client_has_its_own_sign_in_bucket()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(BehindProxyApp.Proxy, "203.0.113.10"));
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(BehindProxyApp.Proxy, "203.0.113.10"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await SignInAsync(BehindProxyApp.Proxy, "203.0.113.10"));

        Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(BehindProxyApp.Proxy, "203.0.113.11"));
    }

    [Fact]
    public async Task A_client_that_is_not_a_trusted_proxy_cannot_pick_its_bucket_with_forwarded_headers()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync("198.51.100.7", "203.0.113.20"));
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync("198.51.100.7", "203.0.113.21"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await SignInAsync("198.51.100.7", "203.0.113.22"));
    }

    [Fact]
    public async Task IPv6_clients_share_a_bucket_per_64_bit_prefix()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(BehindProxyApp.Proxy, "2001:db8:aa:1::1"));
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(BehindProxyApp.Proxy, "2001:db8:aa:1:ffff:1:2:3"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await SignInAsync(BehindProxyApp.Proxy, "2001:db8:aa:1::99"));
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(BehindProxyApp.Proxy, "2001:db8:aa:2::1"));
    }

    [Fact]
    public async Task Https_forwarded_by_the_proxy_turns_on_HSTS_and_a_spoofed_one_does_not()
    {
        using var client = app.Anonymous();
        foreach (var (peer, hsts) in new[] { (BehindProxyApp.Proxy, true), ("198.51.100.8", false) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/health/live");
            request.Headers.Add(PeerAddressFilter.Header, peer);
            request.Headers.Add("X-Forwarded-For", "203.0.113.30");
            request.Headers.Add("X-Forwarded-Proto", "https");
            using var response = await client.SendAsync(request);
            Assert.Equal(hsts, response.Headers.Contains("Strict-Transport-Security"));
        }
    }

    [Fact]
    public void No_proxy_is_trusted_by_default_not_even_loopback()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddFlashSaleForwardedHeaders();
        var options = services.BuildServiceProvider().GetRequiredService<IOptions<Microsoft.AspNetCore.Builder.ForwardedHeadersOptions>>().Value;

        Assert.Empty(options.KnownProxies);
        Assert.Empty(options.KnownIPNetworks);
        Assert.False(new ProxyOptions().TrustsAnyProxy);
    }

    [Theory]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", true)]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:3::1", false)]
    [InlineData("::ffff:192.0.2.1", "192.0.2.1", true)]
    [InlineData("192.0.2.1", "192.0.2.2", false)]
    public void The_partition_key_groups_IPv6_by_64_and_maps_IPv4(string a, string b, bool same) =>
        Assert.Equal(same, ClientAddress.PartitionKey(IPAddress.Parse(a)) == ClientAddress.PartitionKey(IPAddress.Parse(b)));
}
