using System.ComponentModel.DataAnnotations;

namespace FlashSale.Host.Infrastructure.Hosting;

/// <summary>Kestrel's transport buffers (<see cref="TransportBlockPool"/>), bound from <c>Connections</c>.</summary>
public sealed class TransportPoolOptions
{
    public const string Section = "Connections";

    /// <summary>
    /// Free 4 KB blocks the host keeps for reuse, across all transport pools (1,024 = 4 MB). Blocks returned beyond
    /// it are left to the GC, so a connect storm's peak is not kept resident for the rest of the process's life.
    /// </summary>
    [Range(0, 1_048_576)]
    public int MaxPooledBlocks { get; set; } = 1_024;
}
