using FlashSale.Host.Accounts;
using FlashSale.Host.Infrastructure.Problems;
using FlashSale.Host.Infrastructure.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace FlashSale.Host.LoadTesting;

public static class LoadTestingEndpoints
{
    public const int MaxPerCall = 10_000;

    public static IEndpointRouteBuilder MapLoadTesting(this IEndpointRouteBuilder routes)
    {
        var options = routes.ServiceProvider.GetRequiredService<IOptions<LoadTestingOptions>>().Value;
        if (options.Enabled)
        {
            routes.MapGroup("/api/v1/load-testing").WithTags("LoadTesting")
                .RequireAuthorization(Roles.AdminPolicy)
                .MapPost("/shoppers", CreateShoppers);
        }
        return routes;
    }

    public sealed record ShoppersRequest(int? Count, string? Prefix);

    public sealed record Shopper(Guid Id, string Email, string AccessToken);

    public sealed record ShoppersResponse(Shopper[] Shoppers);

    /// <summary>
    /// Creates (or finds again) <c>count</c> shoppers named <c>{prefix}-{n}@load.flashsale.test</c> in one
    /// statement, with an unusable password, and returns an access token for each. No password is hashed and
    /// no login rate limit is hit, which is the point: 10,000 shoppers in about a second. Only accounts without a
    /// password get a token: registration refuses the domain, and an account that has a password anyway (made
    /// before that rule, or by an admin's hand) is skipped rather than handed out.
    /// </summary>
    public static async Task<Results<Ok<ShoppersResponse>, ValidationProblem>> CreateShoppers(
        ShoppersRequest request, NpgsqlDataSource db, AccessTokenIssuer tokens, IOptions<LoadTestingOptions> options,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        errors.Check(request.Count is >= 1 and <= MaxPerCall, "count", $"The count must be 1 to {MaxPerCall}.");
        errors.Check(request.Prefix is { Length: >= 1 and <= 40 } p && p.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'), "prefix",
            "The prefix must be 1 to 40 letters, digits or dashes.");
        if (!errors.IsValid)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var count = request.Count!.Value;
        var emails = new string[count];
        var ids = new Guid[count];
        for (var i = 0; i < count; i++)
        {
            emails[i] = $"{request.Prefix}-{i + 1}@{AccountValidation.ReservedDomain}";
            ids[i] = Guid.CreateVersion7();
        }
        var now = clock.GetUtcNow().UtcDateTime;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            """
            insert into users (id, email, email_normalized, display_name, password_hash, role, created_at)
            select i, e, upper(e), split_part(e, '@', 1), '!', 'shopper', $3 from unnest($1::uuid[], $2::text[]) as t(i, e)
            on conflict (email_normalized) do update set email = excluded.email
                where users.password_hash = '!' and users.role = 'shopper'
            returning id, email, security_stamp
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = emails, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        var lifetime = TimeSpan.FromMinutes(options.Value.TokenMinutes);
        var shoppers = new List<Shopper>(count);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetGuid(0);
                var email = reader.GetString(1);
                shoppers.Add(new Shopper(id, email, tokens.Issue(id, email, email.Split('@')[0], Roles.Shopper, lifetime, reader.GetInt32(2))));
            }
        }
        return TypedResults.Ok(new ShoppersResponse(shoppers.ToArray()));
    }
}
