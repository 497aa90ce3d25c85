namespace FlashSale.Load;

internal static class Entry
{
    public static int Main()
    {
        Console.WriteLine("FlashSale.Load: scenarios arrive with the performance-tools issue.");
        return 0;
    }
}
