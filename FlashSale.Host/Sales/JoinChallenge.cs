using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace FlashSale.Host.Sales;

/// <summary>
/// The proof of work a sale with <c>joinChallengeBits</c> &gt; 0 asks of every join of its line, so a bot pays for
/// each place it takes. The input is 40 bytes: the sale id (16 bytes), the shopper's user id (16 bytes), both in
/// RFC 4122 order (the bytes the UUID's 32 hex digits spell, left to right), then the nonce (8 bytes, unsigned
/// big-endian); its SHA-256 must start with at least that many zero bits. Checking is one hash over a stack buffer,
/// no allocation, so the host does it before any Redis call; solving costs about 2^bits hashes per account and sale
/// (a proof stays valid for that pair: one ticket per account is what it buys).
/// </summary>
public static class JoinChallenge
{
    /// <summary>The most a sale may ask: 2^28 hashes is seconds to minutes in a browser; more would lock shoppers out.</summary>
    public const int MaxBits = 28;

    public const int InputBytes = 40;

    /// <summary>The encoding, as the sale's public view and docs/REALTIME.md state it.</summary>
    public const string Input =
        "SHA-256 over 40 bytes: saleId (16 bytes, RFC 4122 order: the UUID's hex digits as bytes, left to right) || " +
        "userId (16 bytes, same order; your account id) || nonce (8 bytes, unsigned 64-bit big-endian). " +
        "The hash must start with `bits` zero bits (most significant bit of the first byte first).";

    public const string Submit = "POST /api/v1/flash-sales/{id}/queue with the JSON body {\"nonce\": <unsigned 64-bit integer>}";

    /// <summary>Whether <paramref name="nonce"/> solves the sale's challenge for this shopper; any nonce solves 0 bits.</summary>
    public static bool IsSolved(Guid saleId, Guid userId, ulong nonce, int bits)
    {
        if (bits <= 0)
        {
            return true;
        }
        Span<byte> input = stackalloc byte[InputBytes];
        Write(input, saleId, userId, nonce);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input, hash);
        return LeadingZeroBits(hash) >= bits;
    }

    /// <summary>Writes the hashed input (see the type's summary) into the first <see cref="InputBytes"/> bytes.</summary>
    public static void Write(Span<byte> input, Guid saleId, Guid userId, ulong nonce)
    {
        if (!saleId.TryWriteBytes(input[..16], bigEndian: true, out _) || !userId.TryWriteBytes(input[16..32], bigEndian: true, out _))
        {
            throw new ArgumentException($"The input needs {InputBytes} bytes.", nameof(input));
        }
        BinaryPrimitives.WriteUInt64BigEndian(input[32..InputBytes], nonce);
    }

    public static int LeadingZeroBits(ReadOnlySpan<byte> hash)
    {
        var bits = 0;
        foreach (var b in hash)
        {
            if (b != 0)
            {
                return bits + BitOperations.LeadingZeroCount(b) - 24;
            }
            bits += 8;
        }
        return bits;
    }
}
