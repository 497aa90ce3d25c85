using System.Security.Cryptography;
using FlashSale.Host.Sales;
using FlashSale.Load.Api;

namespace FlashSale.Tests.WaitingRoom;

/// <summary>The join challenge's check (the host's) and solver (the load tool's), on the documented byte encoding.</summary>
[Trait("Category", TestCategory.Unit)]
public sealed class JoinChallengeTests
{
    private static readonly Guid Sale = Guid.Parse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
    private static readonly Guid User = Guid.Parse("f0e1d2c3-b4a5-4968-8776-655443322110");

    /// <summary>The input as docs/REALTIME.md spells it, built from the UUIDs' text and the nonce's bytes, not from Guid APIs.</summary>
    private static byte[] DocumentedInput(Guid sale, Guid user, ulong nonce)
    {
        var nonceBytes = new byte[8];
        for (var i = 0; i < 8; i++)
        {
            nonceBytes[i] = (byte)(nonce >> (56 - (8 * i)));
        }
        return [.. Convert.FromHexString(sale.ToString("N")), .. Convert.FromHexString(user.ToString("N")), .. nonceBytes];
    }

    private static int ZeroBits(Guid sale, Guid user, ulong nonce) => JoinChallenge.LeadingZeroBits(SHA256.HashData(DocumentedInput(sale, user, nonce)));

    [Fact]
    public void The_hashed_input_is_the_sale_id_then_the_user_id_in_RFC_4122_order_then_the_nonce_big_endian()
    {
        var input = new byte[JoinChallenge.InputBytes];
        JoinChallenge.Write(input, Sale, User, 0x0102030405060708UL);

        Assert.Equal(DocumentedInput(Sale, User, 0x0102030405060708UL), input);
        Assert.Equal("0193A1B2C3D47E5F8A9B0C1D2E3F4A5B" + "F0E1D2C3B4A549688776655443322110" + "0102030405060708", Convert.ToHexString(input));
    }

    [Theory]
    [InlineData("80", 0)]
    [InlineData("7F", 1)]
    [InlineData("01", 7)]
    [InlineData("00FF", 8)]
    [InlineData("0040", 9)]
    [InlineData("000010", 19)]
    [InlineData("00000000", 32)]
    public void Leading_zero_bits_count_from_the_most_significant_bit_of_the_first_byte(string hex, int bits) =>
        Assert.Equal(bits, JoinChallenge.LeadingZeroBits(Convert.FromHexString(hex)));

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(12)]
    public void A_hash_with_exactly_n_zero_bits_solves_n_bits_and_fewer_but_not_n_plus_one(int n)
    {
        ulong nonce = 0;
        while (ZeroBits(Sale, User, nonce) != n)
        {
            nonce++;
        }

        Assert.True(JoinChallenge.IsSolved(Sale, User, nonce, n));
        Assert.True(JoinChallenge.IsSolved(Sale, User, nonce, n - 1));
        Assert.False(JoinChallenge.IsSolved(Sale, User, nonce, n + 1));
        // The proof is bound to the shopper and the sale: another account or sale almost surely needs its own.
        Assert.Equal(ZeroBits(User, Sale, nonce) >= n, JoinChallenge.IsSolved(User, Sale, nonce, n));
    }

    [Fact]
    public void Zero_bits_asks_nothing_and_the_most_a_sale_may_ask_is_28_bits()
    {
        Assert.True(JoinChallenge.IsSolved(Sale, User, ulong.MaxValue, 0));
        Assert.Equal(28, JoinChallenge.MaxBits);
        // No nonce this small has 28 zero bits for this pair: the check is really asked.
        Assert.DoesNotContain(Enumerable.Range(0, 1_000), n => JoinChallenge.IsSolved(Sale, User, (ulong)n, JoinChallenge.MaxBits));
    }

    [Fact]
    public void The_check_allocates_nothing()
    {
        var solved = JoinChallenge.IsSolved(Sale, User, 1, 8);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (ulong nonce = 0; nonce < 1_000; nonce++)
        {
            solved ^= JoinChallenge.IsSolved(Sale, User, nonce, 8);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        GC.KeepAlive(solved);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(10)]
    [InlineData(16)]
    public void The_load_tools_solver_finds_the_smallest_nonce_the_host_accepts(int bits)
    {
        var nonce = JoinProof.Solve(Sale, User, bits, CancellationToken.None);

        Assert.True(JoinChallenge.IsSolved(Sale, User, nonce, bits));
        Assert.True(ZeroBits(Sale, User, nonce) >= bits);
        Assert.DoesNotContain(Enumerable.Range(0, (int)Math.Min(nonce, 5_000)), n => JoinChallenge.IsSolved(Sale, User, (ulong)n, bits));
    }
}
