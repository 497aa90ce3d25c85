using Dapper;
using FlashSale.Engine.Postgres;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Postgres;

/// <summary>The one description of an <c>orders</c> row every writer uses, against the table the migrations build.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class OrderRowTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Every_column_the_writers_fill_exists_with_its_type_and_every_other_column_may_be_left_to_its_default()
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var table = (await connection.QueryAsync<(string Name, string Type, string Nullable, string? Default)>(
            "select column_name, data_type, is_nullable, column_default from information_schema.columns where table_name = 'orders'"))
            .ToDictionary(c => c.Name);

        foreach (var (column, type) in OrderRow.Types)
        {
            Assert.True(table.TryGetValue(column, out var migrated), $"orders has no column {column}");
            Assert.Equal(type, migrated.Type);
        }
        foreach (var other in table.Values.Where(c => !OrderRow.Types.Any(t => t.Column == c.Name)))
        {
            Assert.True(other.Nullable == "YES" || other.Default is not null, $"orders.{other.Name} is not written and has no default");
        }
    }
}
