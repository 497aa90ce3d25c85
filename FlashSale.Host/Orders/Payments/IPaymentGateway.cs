using System.Collections.Concurrent;

namespace FlashSale.Host.Orders.Payments;

public enum PaymentOutcome
{
    Approved,
    Declined,
    InsufficientFunds,
}

/// <summary>
/// The payment provider: outside our control, so it sits behind this interface. The order id is the idempotency
/// key of a charge: charging the same order again answers the first approval instead of taking the money twice,
/// and <see cref="FindChargeAsync"/> tells whether an order was charged, so a charge whose commit failed can be
/// completed later (by the next pay attempt or the expiry sweeper) instead of the order expiring with the money taken.
/// </summary>
public interface IPaymentGateway
{
    ValueTask<PaymentOutcome> ChargeAsync(Guid orderId, decimal amount, string cardNumber, CancellationToken cancellationToken);

    /// <summary>The approved charge of this order (its amount and card's last four digits), or null when there is none.</summary>
    ValueTask<GatewayCharge?> FindChargeAsync(Guid orderId, CancellationToken cancellationToken);
}

/// <summary>A charge the gateway took.</summary>
public sealed record GatewayCharge(Guid OrderId, decimal Amount, string CardLast4);

/// <summary>
/// The built-in test gateway: approves every card except those ending in 0002 (declined) and 9995
/// (insufficient funds), the way card networks' test numbers behave. It records approved charges by order id
/// (in memory, per process), which makes charging idempotent per order and lets tests count the money taken.
/// </summary>
public sealed class TestPaymentGateway : IPaymentGateway
{
    private readonly ConcurrentDictionary<Guid, GatewayCharge> _charges = new();
    private long _taken;

    /// <summary>How many charges took money (an idempotent repeat takes none).</summary>
    public long ChargesTaken => Interlocked.Read(ref _taken);

    public ValueTask<PaymentOutcome> ChargeAsync(Guid orderId, decimal amount, string cardNumber, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cardNumber);
        if (_charges.ContainsKey(orderId))
        {
            return ValueTask.FromResult(PaymentOutcome.Approved);
        }
        var outcome = cardNumber.EndsWith("0002", StringComparison.Ordinal) ? PaymentOutcome.Declined
            : cardNumber.EndsWith("9995", StringComparison.Ordinal) ? PaymentOutcome.InsufficientFunds
            : PaymentOutcome.Approved;
        if (outcome == PaymentOutcome.Approved && _charges.TryAdd(orderId, new GatewayCharge(orderId, amount, cardNumber[^4..])))
        {
            Interlocked.Increment(ref _taken);
        }
        return ValueTask.FromResult(outcome);
    }

    public ValueTask<GatewayCharge?> FindChargeAsync(Guid orderId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_charges.GetValueOrDefault(orderId));
}
