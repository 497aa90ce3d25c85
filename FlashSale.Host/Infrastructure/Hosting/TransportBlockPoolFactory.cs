using System.Buffers;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace FlashSale.Host.Infrastructure.Hosting;

/// <summary>
/// Replaces Kestrel's <see cref="IMemoryPoolFactory{T}"/> (the socket transport takes its pools from it, one per I/O
/// queue) with <see cref="TransportBlockPool"/>s that share one budget of free blocks.
/// </summary>
public sealed class TransportBlockPoolFactory(IOptions<TransportPoolOptions> options) : IMemoryPoolFactory<byte>
{
    private int _created;

    public FreeBlockBudget Budget { get; } = new(options?.Value.MaxPooledBlocks ?? throw new ArgumentNullException(nameof(options)));

    /// <summary>Pools handed out so far (for tests and diagnostics; the factory keeps no reference to them).</summary>
    public int PoolsCreated => Volatile.Read(ref _created);

    public MemoryPool<byte> Create(MemoryPoolOptions? options = null)
    {
        Interlocked.Increment(ref _created);
        return new TransportBlockPool(Budget);
    }
}

public static class TransportPoolSetup
{
    /// <summary>Registered after Kestrel's own factory, so Kestrel's transport resolves this one.</summary>
    public static IServiceCollection AddTransportBlockPool(this IServiceCollection services)
    {
        services.AddOptions<TransportPoolOptions>().BindConfiguration(TransportPoolOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<TransportBlockPoolFactory>();
        services.AddSingleton<IMemoryPoolFactory<byte>>(sp => sp.GetRequiredService<TransportBlockPoolFactory>());
        return services;
    }
}
