using FlashSale.Host.Infrastructure.Persistence;
using Npgsql;

namespace FlashSale.Tests.Infrastructure;

/// <summary>
/// A fresh PostgreSQL database with every migration applied, dropped on dispose. Use it as an xunit class or
/// collection fixture: each fixture gets its own database, so test classes never see each other's rows.
/// </summary>
public sealed class TestDatabase : IAsyncLifetime
{
    private readonly string _adminConnectionString;

    /// <summary>A database on the shared test server (<see cref="TestEnvironment.PostgresAdmin"/>).</summary>
    public TestDatabase() : this(TestEnvironment.PostgresAdmin) { }

    /// <summary>A database on the server <paramref name="adminConnectionString"/> reaches (e.g. a test's private one). Internal: xunit wants one public constructor on a fixture.</summary>
    internal TestDatabase(string adminConnectionString) => _adminConnectionString = adminConnectionString;

    public string Name { get; } = $"flashsale_test_{Guid.NewGuid():N}";

    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await using (var admin = new NpgsqlConnection(_adminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"create database {Name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = Name, MaxPoolSize = 50 }.ConnectionString;
        DataSource = NpgsqlDataSource.Create(ConnectionString);
        await MigrationRunner.ApplyAsync(DataSource, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        // A host's background work (or autovacuum) may still be connecting while the fixture ends: retry the drop a
        // few times. A database left behind is only clutter; failing a green run for it would be wrong.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var admin = new NpgsqlConnection(_adminConnectionString);
                await admin.OpenAsync();
                await using var drop = new NpgsqlCommand($"drop database if exists {Name} with (force)", admin);
                await drop.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException) when (attempt < 10)
            {
                await Task.Delay(300);
            }
            catch (PostgresException error)
            {
                await Console.Error.WriteLineAsync($"Could not drop test database {Name}: {error.MessageText}");
                return;
            }
        }
    }
}
