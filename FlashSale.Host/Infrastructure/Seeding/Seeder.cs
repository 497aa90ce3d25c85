using Dapper;
using FlashSale.Host.Accounts;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FlashSale.Host.Infrastructure.Seeding;

/// <summary>
/// Creates the admin user and the demo catalogue. Idempotent: the admin is found by email, demo products have
/// fixed ids, and a demo sale is added only when its product has no sale that is still running or to come.
/// </summary>
public sealed partial class Seeder(
    NpgsqlDataSource db, PasswordHashing passwords, IOptions<SeedOptions> options, IHostEnvironment environment,
    TimeProvider clock, ILogger<Seeder> logger)
{
    private static readonly (Guid Id, string Name, string Description, decimal BasePrice, decimal SalePrice, int Stock, int Limit, int StartsInMinutes)[] Demo =
    [
        (new Guid("0190a000-0000-7000-8000-000000000001"), "Aurora noise-cancelling headphones", "Over-ear, 40 h battery.", 299.00m, 149.00m, 100, 1, 0),
        (new Guid("0190a000-0000-7000-8000-000000000002"), "Summit trail running shoes", "Limited colourway.", 160.00m, 79.90m, 500, 2, 0),
        (new Guid("0190a000-0000-7000-8000-000000000003"), "Nimbus espresso machine", "15-bar pump, steam wand.", 549.00m, 249.00m, 50, 1, 30),
    ];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var seed = options.Value;
        if (string.IsNullOrWhiteSpace(seed.AdminEmail) || !AccountValidation.IsValidEmail(seed.AdminEmail))
        {
            throw new InvalidOperationException("Seed:AdminEmail must be a valid email address.");
        }
        if (seed.AdminPassword.Length < AccountValidation.MinPasswordLength)
        {
            throw new InvalidOperationException($"Seed:AdminPassword must be at least {AccountValidation.MinPasswordLength} characters.");
        }
        if (!environment.IsDevelopment() && seed.AdminPassword == SeedOptions.DevelopmentAdminPassword)
        {
            throw new InvalidOperationException($"Seed:AdminPassword is the README's development default; the {environment.EnvironmentName} environment needs its own.");
        }

        var now = clock.GetUtcNow().UtcDateTime;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var created = await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into users (id, email, email_normalized, display_name, password_hash, role, created_at)
            values (@id, @email, @normalized, @name, @hash, 'admin', @now)
            on conflict (email_normalized) do nothing
            """,
            new { id = Guid.CreateVersion7(), email = seed.AdminEmail.Trim(), normalized = AccountValidation.NormalizeEmail(seed.AdminEmail),
                  name = seed.AdminDisplayName, hash = passwords.Hash(seed.AdminPassword), now },
            cancellationToken: cancellationToken));
        LogAdmin(logger, seed.AdminEmail, created == 1 ? "created" : "already present");

        if (!seed.DemoData)
        {
            return;
        }
        foreach (var demo in Demo)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                insert into products (id, name, description, base_price, image_url, created_at, updated_at)
                values (@Id, @Name, @Description, @BasePrice, null, @now, @now)
                on conflict (id) do nothing
                """, new { demo.Id, demo.Name, demo.Description, demo.BasePrice, now }, cancellationToken: cancellationToken));
            var startsAt = now.AddMinutes(demo.StartsInMinutes);
            var sales = await connection.ExecuteAsync(new CommandDefinition(
                """
                with sale as (
                    insert into flash_sales (id, product_id, sale_price, total_stock, per_user_limit, starts_at, ends_at, created_at, updated_at)
                    select @saleId, @Id, @SalePrice, @Stock, @Limit, @startsAt, @endsAt, @now, @now
                    where not exists (select 1 from flash_sales where product_id = @Id and ends_at > @now)
                    returning id, total_stock
                )
                insert into inventory_ledger (flash_sale_id, order_id, movement, quantity, created_at)
                select id, null, 'sale_created', total_stock, @now from sale
                """,
                new { saleId = Guid.CreateVersion7(), demo.Id, demo.SalePrice, demo.Stock, demo.Limit, startsAt, endsAt = startsAt.AddHours(2), now },
                cancellationToken: cancellationToken));
            if (sales == 1)
            {
                LogDemoSale(logger, demo.Name, startsAt);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Admin {Email}: {What}")]
    private static partial void LogAdmin(ILogger logger, string email, string what);

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo sale of {Product} starting {StartsAt:u}")]
    private static partial void LogDemoSale(ILogger logger, string product, DateTime startsAt);
}
