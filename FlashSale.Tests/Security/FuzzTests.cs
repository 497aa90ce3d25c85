using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using Dapper;
using FlashSale.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Tests.Security;

/// <summary>
/// Issue 11 item 11: malformed, oversized, wrongly typed and random bodies, headers and query strings against every
/// route the host maps. Never a 5xx, every refusal problem+json, and nothing written to PostgreSQL. Every body is
/// invalid by construction, and a valid token is only sent where a body is read (so a body-less POST such as
/// logout-all is only ever refused), so any write would be a defect. Bounded: a few hundred requests, a few seconds.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed partial class FuzzTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    private sealed record Route(string Pattern, string Method, bool ReadsBody);

    private sealed record Probe(Route Route, string Path, string Query, int Token, string? IdempotencyKey, string? ContentType, byte[]? Body)
    {
        public override string ToString() =>
            $"{Route.Method} {Path}{Query} token={Token} key={IdempotencyKey} type={ContentType} body={(Body is null ? "none" : Encoding.UTF8.GetString(Body[..Math.Min(Body.Length, 200)]))}";
    }

    private static readonly string[] Fields =
    [
        "email", "password", "displayName", "refreshToken", "currentPassword", "newPassword", "name", "description", "basePrice",
        "imageUrl", "productId", "salePrice", "totalStock", "perUserLimit", "startsAt", "endsAt", "paymentWindowSeconds", "waitingRoom",
        "flashSaleId", "quantity", "cardNumber", "count", "prefix", "version",
    ];

    // Values no field of any type accepts: objects, arrays, and strings carrying control characters or lone surrogates.
    private static readonly Gen<string> Poison = Gen.OneOfConst(
        "{\"a\":1}", "[1,2,3]", "[]", "{}", "\"a\\u0000b\"", "\"\\u001b[31m\"", "\"\\ud800\"", "[null]", "{\"$ref\":\"#\"}");

    private static readonly Gen<string> AnyValue = Gen.OneOf(
        Poison,
        Gen.OneOfConst("null", "true", "0", "-1", "1e309", "99999999999999999999", "\"\"", "\"x\"", "1.5", "\"2026-13-45T99:00:00Z\""),
        Gen.String[Gen.Char.AlphaNumeric, 0, 40].Select(s => "\"" + s + "\""),
        Gen.Long.Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private static readonly Gen<byte[]> InvalidBody = Gen.OneOf(
        // An object with known fields, at least one of which no type accepts.
        Gen.Select(Gen.OneOfConst(Fields).Array[1, 6], AnyValue.Array[6], Poison, Gen.Int[0, 5]).Select((names, values, poison, at) =>
        {
            var pairs = names.Distinct().Select((name, i) => $"\"{name}\":{(i == Math.Min(at, names.Distinct().Count() - 1) ? poison : values[i])}");
            return Encoding.UTF8.GetBytes("{" + string.Join(",", pairs) + "}");
        }),
        // Truncated, not JSON at all, or another JSON type.
        Gen.OneOfConst("{\"email\":", "{", "[", "nul", "\"just a string\"", "42", "[]", "{\"a\":}", "{'a':1}", "\u0000\u0001")
            .Select(s => Encoding.UTF8.GetBytes(s)),
        Gen.Byte.Array[1, 200].Where(b => b[0] != (byte)'{' || !b.Contains((byte)'}')),
        // Over the 64 KB limit.
        Gen.Int[65_537, 100_000].Select(n => Encoding.UTF8.GetBytes("{\"email\":\"" + new string('a', n) + "\"}")));

    private static readonly Gen<string> Query = Gen.Select(
        Gen.OneOfConst("page", "pageSize", "status", "ticket", "access_token", "id", "x", "page[]").Array[0, 3],
        Gen.OneOf(
            Gen.OneOfConst("-1", "0", "1", "2147483647", "2147483648", "99999999999999999999", "%00", "%ff%fe", "abc", "", "active", "1e3", "%E2%80%AE"),
            Gen.String[Gen.Char.AlphaNumeric, 0, 20]).Array[3]).Select((keys, values) =>
            keys.Length == 0 ? "" : "?" + string.Join("&", keys.Select((k, i) => k + "=" + values[i])));

    private Route[] Routes() =>
        app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is not null)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                .Select(m => new Route("/" + e.RoutePattern.RawText!.TrimStart('/'), m, e.Metadata.GetMetadata<IAcceptsMetadata>() is not null)))
            .ToArray();

    /// <summary>
    /// Logout reads one field, <c>refreshToken</c>. A body whose poison sits in a field logout does not read is a valid
    /// logout of an unknown token, answered 204 by design (a client cannot learn which tokens exist) and writing nothing,
    /// which the row counts at the end still check.
    /// </summary>
    private static bool IsLogoutOfSomeToken(Probe probe)
    {
        if (!probe.Path.EndsWith("/auth/logout", StringComparison.Ordinal) || probe.Body is null)
        {
            return false;
        }
        try
        {
            using var body = System.Text.Json.JsonDocument.Parse(probe.Body);
            return body.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                && body.RootElement.TryGetProperty("refreshToken", out var token)
                && token.ValueKind == System.Text.Json.JsonValueKind.String
                && !string.IsNullOrWhiteSpace(token.GetString())
                && !token.GetString()!.Any(char.IsControl);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            // Not JSON, or a token no string can hold (a lone surrogate): not a logout of some token.
            return false;
        }
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Parameter();

    private async Task<Dictionary<string, long>> RowCountsAsync()
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var tables = await connection.QueryAsync<string>(
            "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'schema_migrations'");
        var counts = new Dictionary<string, long>();
        foreach (var table in tables.Order())
        {
            counts[table] = await connection.ExecuteScalarAsync<long>($"select count(*) from \"{table}\"");
        }
        return counts;
    }

    [Fact]
    public async Task Malformed_input_to_every_route_is_never_a_5xx_always_problem_json_and_writes_nothing()
    {
        var routes = Routes();
        Assert.Contains(routes, r => r.Pattern.Contains("/orders", StringComparison.Ordinal) && r.Method == "POST");
        var sale = await app.CreateSaleAsync(totalStock: 10, perUserLimit: 2);
        var shopper = (await app.RegisterShopperAsync()).AccessToken;
        var admin = (await app.LoginAsync(FlashSaleApp.AdminEmail, FlashSaleApp.AdminPassword)).AccessToken;
        // 0 none, 1 garbage, 2 a well-formed token signed with another key, 3 shopper, 4 admin.
        var tokens = new[] { null, "garbage", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl", shopper, admin };
        using var client = app.Anonymous();
        var before = await RowCountsAsync();

        // No NUL in the path: Kestrel refuses it before the app (TestServer's client throws instead of sending it).
        var probes = Gen.Select(Gen.OneOfConst(routes), Gen.OneOf(Gen.Guid.Select(g => g.ToString()), Gen.Const(sale.ToString()), Gen.OneOfConst("x", "%E2%80%AE", "%25", "00000000-0000-0000-0000-000000000000")),
                Query, Gen.Int[0, 4], Gen.OneOf(Gen.Const((string?)null), Gen.String[Gen.Char, 0, 80].Select(s => (string?)s)),
                Gen.OneOfConst<string?>("application/json", "application/json", "text/plain", "application/x-www-form-urlencoded", null, "application/json; charset=latin1"),
                InvalidBody)
            .Select((route, id, query, token, key, type, body) =>
            {
                var get = route.Method is "GET" or "HEAD";
                // A valid token only where a body is read (and the body is invalid) or on reads.
                var usable = get || route.ReadsBody ? token : Math.Min(token, 2);
                return new Probe(route, Parameter().Replace(route.Pattern, id), query, usable, key, type, get ? null : body);
            });

        await Check.SampleAsync(probes, async probe =>
        {
            using var request = new HttpRequestMessage(new HttpMethod(probe.Route.Method), probe.Path + probe.Query);
            if (tokens[probe.Token] is { } token)
            {
                request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
            }
            if (probe.IdempotencyKey is not null)
            {
                request.Headers.TryAddWithoutValidation("Idempotency-Key", probe.IdempotencyKey);
            }
            if (probe.Body is not null)
            {
                request.Content = new ByteArrayContent(probe.Body);
                if (probe.ContentType is not null)
                {
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", probe.ContentType);
                }
            }
            using var response = await client.SendAsync(request);
            var status = (int)response.StatusCode;
            Assert.True(status < 500, $"{status} for {probe}: {await response.Content.ReadAsStringAsync()}");
            if (probe.Route.Method is not ("GET" or "HEAD") && !IsLogoutOfSomeToken(probe))
            {
                Assert.True(status >= 400, $"{status} for {probe}: a write route accepted an invalid request");
            }
            if (status >= 400)
            {
                Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json",
                    $"{status} without problem+json ({response.Content.Headers.ContentType}) for {probe}");
            }
        }, iter: 400, threads: 1, print: p => p.ToString());

        Assert.Equal(before, await RowCountsAsync());
    }
}
