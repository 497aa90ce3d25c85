using Dapper;
using Npgsql;

namespace FlashSale.Host.Infrastructure.Persistence;

public static class PersistenceSetup
{
    /// <summary>One pooled <see cref="NpgsqlDataSource"/> from <c>ConnectionStrings:Postgres</c>.</summary>
    public static IServiceCollection AddFlashSalePersistence(this IServiceCollection services)
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        // Read when first resolved, not at registration: configuration layered on later (tests, env) counts.
        services.AddSingleton(sp =>
        {
            var connectionString = sp.GetRequiredService<IConfiguration>().GetConnectionString("Postgres");
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException("ConnectionStrings:Postgres is not set.");
            }
            return new NpgsqlDataSourceBuilder(connectionString).Build();
        });
        return services;
    }
}
