using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace FlashSale.Load.Api;

/// <summary>
/// Solves a sale's join challenge as a shopper's client does: the smallest nonce whose SHA-256 over
/// saleId (16 bytes) ‖ userId (16 bytes), both in RFC 4122 order, ‖ nonce (8 bytes, big-endian) starts with
/// <c>bits</c> zero bits. The encoding is the host's (<c>Host/Sales/JoinChallenge.cs</c>, docs/REALTIME.md); the
/// load tool talks HTTP only, so it keeps its own copy, and <c>JoinChallengeTests</c> checks the two agree.
/// </summary>
internal static class JoinProof
{
    public static ulong Solve(Guid saleId, Guid userId, int bits, CancellationToken ct)
    {
        Span<byte> input = stackalloc byte[40];
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        saleId.TryWriteBytes(input[..16], bigEndian: true, out _);
        userId.TryWriteBytes(input[16..32], bigEndian: true, out _);
        for (ulong nonce = 0; ; nonce++)
        {
            if ((nonce & 0xFFFF) == 0)
            {
                ct.ThrowIfCancellationRequested();
            }
            BinaryPrimitives.WriteUInt64BigEndian(input[32..], nonce);
            SHA256.HashData(input, hash);
            if (LeadingZeroBits(hash) >= bits)
            {
                return nonce;
            }
        }
    }

    private static int LeadingZeroBits(ReadOnlySpan<byte> hash)
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
