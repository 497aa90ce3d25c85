namespace FlashSale.Host.Infrastructure.Hosting;

internal static partial class EngineLog
{
    [LoggerMessage(Level = LogLevel.Error, Message = "Sale engine {SaleId} fault")]
    public static partial void Fault(ILogger logger, Guid saleId, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconciled {Entries} Redis stream entries of {Sales} sales into PostgreSQL")]
    public static partial void Reconciled(ILogger logger, int entries, int sales);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling Redis order streams failed; retrying next period")]
    public static partial void ReconcileFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not prepare the stock authority for sale {SaleId}; it is prepared on first purchase")]
    public static partial void PrepareFailed(ILogger logger, Guid saleId, Exception exception);
}
