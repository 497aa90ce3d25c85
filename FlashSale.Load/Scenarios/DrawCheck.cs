using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FlashSale.Load.Api;

namespace FlashSale.Load.Scenarios;

/// <summary>
/// flash-rush with <c>--prequeue-seconds</c>: collects the draw receipts the shoppers got and, at the end, checks each
/// against the host's published draw (<c>GET …/fairness</c>), recomputing the permutation from the seed as
/// docs/REALTIME.md documents it (written here from the documentation, not shared with the host's code): the seed
/// must hash to the published hash, and every receipt's index must have drawn the receipt's ticket.
/// </summary>
internal sealed class DrawCheck
{
    private readonly ConcurrentBag<DrawReceiptDto> _receipts = [];
    private long _entered;
    private long _late;

    public void Entered() => Interlocked.Increment(ref _entered);

    /// <summary>A shopper who joined after the draw (a ticket at once, first come first served).</summary>
    public void Late() => Interlocked.Increment(ref _late);

    public void Drawn(DrawReceiptDto receipt) => _receipts.Add(receipt);

    public async Task<string> ReportAsync(FlashSaleApi api, SaleDto sale, CancellationToken ct)
    {
        var fairness = await api.FairnessAsync(sale.Id, ct);
        if (!fairness.IsOk || fairness.Value is not { } f)
        {
            return I($"pre-queue: {Interlocked.Read(ref _entered)} shoppers entered, {Interlocked.Read(ref _late)} joined after the draw; the draw was not published ({fairness.Status} {fairness.Outcome.Name})");
        }

        var hashOk = Convert.ToHexStringLower(SHA256.HashData(Convert.FromHexString(f.Seed))) == f.SeedHash;
        var p = Permutation(f.Seed, f.Entrants);
        var mismatches = _receipts.Count(r => r.Index < 0 || r.Index >= f.Entrants || Array.IndexOf(p, r.Index) + 1 != r.Ticket || r.ListDigest != f.ListDigest);
        var drawLag = (f.DrawnAt - sale.StartsAt).TotalMilliseconds;
        return I($"pre-queue: {Interlocked.Read(ref _entered)} shoppers entered, {f.Entrants} drawn {drawLag:0} ms after the start, ") +
               I($"{Interlocked.Read(ref _late)} joined after the draw; seed matches its published hash: {(hashOk ? "yes" : "NO")}; ") +
               I($"{_receipts.Count} receipts recomputed from the seed, {mismatches} mismatches");
    }

    private static int[] Permutation(string seed, int n)
    {
        var p = Enumerable.Range(0, n).ToArray();
        for (var i = n - 1; i >= 1; i--)
        {
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes(seed + ":" + i.ToString(CultureInfo.InvariantCulture)));
            var j = (int)(BinaryPrimitives.ReadUInt64BigEndian(hash) % (ulong)(i + 1));
            (p[i], p[j]) = (p[j], p[i]);
        }

        return p;
    }

    private static string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
