namespace FlashSale.Load.Api;

/// <summary>Reads the stable slug at the end of a problem+json <c>type</c> ("https://…/problems/sold-out" → "sold-out").</summary>
internal static class ProblemSlug
{
    public static string? From(string? type)
    {
        if (string.IsNullOrWhiteSpace(type))
        {
            return null;
        }

        var trimmed = type.Trim().TrimEnd('/');
        var cut = trimmed.LastIndexOfAny(['/', '#', ':']);
        var slug = cut >= 0 ? trimmed[(cut + 1)..] : trimmed;
        return slug.Length == 0 || slug.Equals("about:blank", StringComparison.OrdinalIgnoreCase) || slug.Equals("blank", StringComparison.OrdinalIgnoreCase)
            ? null
            : slug.ToLowerInvariant();
    }
}
