namespace FlashSale.Engine.Postgres;

/// <summary>
/// An order the journal did not insert is not in <c>orders</c> as the same order (another row holds its id for another
/// sale or shopper, or it is missing): answering 201 for it would be a lie, so its batch fails.
/// </summary>
public sealed class OrderConflictException : Exception
{
    public OrderConflictException() : base("An order was neither inserted nor found as the same order.") { }

    public OrderConflictException(string message) : base(message) { }

    public OrderConflictException(string message, Exception innerException) : base(message, innerException) { }

    public OrderConflictException(Guid orderId) : base($"Order {orderId} was neither inserted nor found as the same order.") => OrderId = orderId;

    public Guid OrderId { get; }
}
