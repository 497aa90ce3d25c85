using Dapper;
using FlashSale.Host.Infrastructure.Persistence;

namespace FlashSale.Tests.Infrastructure;

[Trait("Category", TestCategory.Integration)]
public sealed class MigrationRunnerTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Applying_twice_changes_nothing_the_second_time()
    {
        var again = await MigrationRunner.ApplyAsync(database.DataSource, CancellationToken.None);

        Assert.Empty(again);
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var versions = (await connection.QueryAsync<int>("select version from schema_migrations order by version")).ToList();
        Assert.Equal(MigrationRunner.Embedded.Select(m => m.Version), versions);
    }

    [Fact]
    public async Task Orders_refuse_a_quantity_below_one()
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var error = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => connection.ExecuteAsync(
            """
            insert into orders (id, flash_sale_id, user_id, quantity, unit_price, total_price, status, idempotency_key, created_at, expires_at, updated_at)
            values (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 0, 1, 0, 'reserved', 'k', now(), now(), now())
            """));
        Assert.Equal("23514", error.SqlState); // check_violation
    }
}
