using FlashSale.Engine.Core;

namespace FlashSale.Engine.InProcess;

/// <summary>
/// An order as the durable store knows it, for rebuilding an in-process sale after a restart.
/// <see cref="HoldsUnits"/> is false once its units went back (expired or cancelled): its Idempotency-Key still
/// replays the order, but its units count as stock again and a second return is a no-op.
/// </summary>
public readonly record struct DurableOrder(AcceptedOrder Order, bool HoldsUnits);

/// <summary>Loads every order of a sale from the durable store (PostgreSQL in the host).</summary>
public delegate ValueTask<IReadOnlyList<DurableOrder>> DurableOrderLoader(SaleDefinition sale, CancellationToken cancellationToken);
