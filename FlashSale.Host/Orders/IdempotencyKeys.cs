namespace FlashSale.Host.Orders;

/// <summary>The <c>Idempotency-Key</c> header: 1 to 64 printable ASCII characters, no spaces.</summary>
public static class IdempotencyKeys
{
    public const string Header = "Idempotency-Key";
    public const int MaxLength = 64;

    public static bool IsValid(string? key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxLength)
        {
            return false;
        }
        foreach (var c in key)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }
        return true;
    }
}
