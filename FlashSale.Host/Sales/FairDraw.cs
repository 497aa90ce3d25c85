using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace FlashSale.Host.Sales;

/// <summary>
/// The verifiable draw of a pre-queue (docs/REALTIME.md, "Pre-queue and the fair draw"). At the sale's creation the host
/// picks a 32-byte random <b>seed</b> and publishes only <c>seedHash</c> = SHA-256(seed bytes), hex. At the draw:
/// <list type="number">
/// <item>the entrant list is fixed and sorted: user ids as lower-case UUID strings ("D", with dashes), ordinal order;
/// its <b>list digest</b> is SHA-256 of those strings joined by "\n" (no trailing newline), hex;</item>
/// <item>the permutation is a Fisher–Yates shuffle of the indexes 0…n−1 keyed by the seed: for i from n−1 down to 1,
/// j = (first 8 bytes of SHA-256(UTF-8 of "&lt;seed hex&gt;:&lt;i&gt;") as an unsigned big-endian integer) mod (i+1),
/// swap p[i] and p[j];</item>
/// <item>ticket k (1-based) goes to the entrant at sorted index p[k−1]; a shopper's receipt is that index, so with the
/// seed and n anyone recomputes the ticket of every index.</item>
/// </list>
/// The modulo's bias is below 2^-40 for any line shorter than 2^24: negligible, and it is the same for everyone.
/// </summary>
public static class FairDraw
{
    public const string Algorithm =
        "sorted = entrant user ids (lower-case UUID with dashes), ordinal order; listDigest = sha256(join(sorted, \"\\n\")); " +
        "p = [0..n-1]; for i = n-1 down to 1: j = uint64_be(sha256(utf8(seed + \":\" + i))[0:8]) mod (i+1); swap p[i], p[j]; " +
        "ticket k (1-based) = sorted[p[k-1]]; a receipt's index is the shopper's position in sorted; seedHash = sha256(bytes(seed hex)).";

    /// <summary>A new seed (32 random bytes, hex) and its hash.</summary>
    public static (string Seed, string SeedHash) NewSeed()
    {
        var seed = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        return (seed, SeedHash(seed));
    }

    public static string SeedHash(string seedHex) => Convert.ToHexStringLower(SHA256.HashData(Convert.FromHexString(seedHex)));

    /// <summary>The entrants in the draw's canonical order (see the type's summary).</summary>
    public static Guid[] Sorted(IEnumerable<Guid> entrants) =>
        entrants.Select(e => e.ToString("D", CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal).Select(Guid.Parse).ToArray();

    public static string ListDigest(IReadOnlyList<Guid> sorted)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n',
            sorted.Select(e => e.ToString("D", CultureInfo.InvariantCulture))))));
    }

    /// <summary>p: ticket k (1-based) goes to sorted index p[k − 1].</summary>
    public static int[] Permutation(string seedHex, int n)
    {
        var p = new int[n];
        for (var i = 0; i < n; i++)
        {
            p[i] = i;
        }
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        for (var i = n - 1; i >= 1; i--)
        {
            SHA256.HashData(Encoding.UTF8.GetBytes(seedHex + ":" + i.ToString(CultureInfo.InvariantCulture)), hash);
            var j = (int)(BinaryPrimitives.ReadUInt64BigEndian(hash) % (ulong)(i + 1));
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
