using System.Text.Json;

namespace FlashSale.Load.Shoppers;

/// <summary>Reads and writes the shopper token file. The folder ignores itself in git: the file holds live tokens.</summary>
internal static class ShopperStore
{
    /// <summary>Tokens issued without a readable expiry are assumed to last the host's default 15 minutes.</summary>
    public static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromMinutes(15);

    public static ShopperFile? TryLoad(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize(stream, ShopperJsonContext.Default.ShopperFile);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static void Save(string path, ShopperFile file)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var ignore = Path.Combine(directory, ".gitignore");
        if (!File.Exists(ignore))
        {
            File.WriteAllText(ignore, "# Written by FlashSale.Load: live tokens never belong in git.\n*\n");
        }

        var temp = path + ".tmp";
        using (var stream = File.Create(temp))
        {
            JsonSerializer.Serialize(stream, file, ShopperJsonContext.Default.ShopperFile);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Why a stored file cannot serve this run, or null when it can.</summary>
    public static string? WhyNotUsable(ShopperFile? file, Uri target, int needed, DateTimeOffset mustLiveUntil)
    {
        if (file is null)
        {
            return "no shopper file yet";
        }

        if (!string.Equals(file.Target, TargetKey(target), StringComparison.OrdinalIgnoreCase))
        {
            return $"the file was prepared for {file.Target}";
        }

        if (file.Shoppers.Count < needed)
        {
            return $"the file holds {file.Shoppers.Count} shoppers, the run needs {needed}";
        }

        return file.ExpiresAt < mustLiveUntil ? "its tokens expire before the run would end" : null;
    }

    public static string TargetKey(Uri target) => target.GetLeftPart(UriPartial.Authority);

    /// <summary>When the earliest token of a batch expires.</summary>
    public static DateTimeOffset ExpiryOf(IEnumerable<ShopperToken> shoppers, DateTimeOffset issuedAt)
    {
        DateTimeOffset? earliest = null;
        foreach (var shopper in shoppers)
        {
            var exp = JwtExpiry.TryRead(shopper.AccessToken) ?? issuedAt + DefaultTokenLifetime;
            earliest = earliest is null || exp < earliest ? exp : earliest;
        }

        return earliest ?? issuedAt;
    }
}
