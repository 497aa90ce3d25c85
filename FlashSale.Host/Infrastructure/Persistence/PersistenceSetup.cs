using Dapper;
using Npgsql;

namespace FlashSale.Host.Infrastructure.Persistence;

public static class PersistenceSetup
{
    /// <summary>One pooled <see cref="NpgsqlDataSource"/> from <c>ConnectionStrings:Postgres</c>.</summary>
    public static IServiceCollection AddFlashSalePersistence(this IServiceCollection services, IConfiguration configuration)
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        var connectionString = configuration.GetConnectionString("Postgres");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException("ConnectionStrings:Postgres is not set.");
        }
        services.AddSingleton(_ => new NpgsqlDataSourceBuilder(connectionString).Build());
        return services;
    }
}
