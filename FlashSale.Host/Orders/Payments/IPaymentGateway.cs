namespace FlashSale.Host.Orders.Payments;

public enum PaymentOutcome
{
    Approved,
    Declined,
    InsufficientFunds,
}

/// <summary>The payment provider: outside our control, so it sits behind this interface.</summary>
public interface IPaymentGateway
{
    ValueTask<PaymentOutcome> ChargeAsync(Guid orderId, decimal amount, string cardNumber, CancellationToken cancellationToken);
}

/// <summary>
/// The built-in test gateway: approves every card except those ending in 0002 (declined) and 9995
/// (insufficient funds), the way card networks' test numbers behave.
/// </summary>
public sealed class TestPaymentGateway : IPaymentGateway
{
    public ValueTask<PaymentOutcome> ChargeAsync(Guid orderId, decimal amount, string cardNumber, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cardNumber);
        var outcome = cardNumber.EndsWith("0002", StringComparison.Ordinal) ? PaymentOutcome.Declined
            : cardNumber.EndsWith("9995", StringComparison.Ordinal) ? PaymentOutcome.InsufficientFunds
            : PaymentOutcome.Approved;
        return ValueTask.FromResult(outcome);
    }
}
