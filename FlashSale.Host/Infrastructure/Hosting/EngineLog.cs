namespace FlashSale.Host.Infrastructure.Hosting;

internal static partial class EngineLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Sale engine {SaleId} fault")]
    public static partial void Fault(ILogger logger, Guid saleId, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciled {Entries} Redis stream entries of {Sales} sales into PostgreSQL")]
    public static partial void Reconciled(ILogger logger, int entries, int sales);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling Redis order streams failed; retrying next period")]
    public static partial void ReconcileFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling left {Sales} sales' Redis stream entries for the next period: their epoch moved in PostgreSQL (rebuilt meanwhile, or a Redis another deployment writes to)")]
    public static partial void ReconcileFenced(ILogger logger, int sales);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-syncing live sales from PostgreSQL failed; retrying next period")]
    public static partial void ResyncFailed(ILogger logger, Exception exception);
}
