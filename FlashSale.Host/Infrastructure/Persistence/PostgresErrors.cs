using Npgsql;

namespace FlashSale.Host.Infrastructure.Persistence;

public static class PostgresErrors
{
    public static bool IsUniqueViolation(this PostgresException exception) =>
        exception is { SqlState: PostgresErrorCodes.UniqueViolation };
}
