using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Purchases;

/// <summary>A second host on the first host's database and the same Redis: two nodes of one deployment.</summary>
public sealed class SecondHost(TestDatabase shared) : FlashSaleApp(shared);

/// <summary>Two hosts sharing one PostgreSQL database and one Redis, each with its own engines.</summary>
public class TwoHosts : IAsyncLifetime
{
    public FlashSaleApp First { get; } = new();

    public FlashSaleApp Second { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Configure(First);
        await First.InitializeAsync();
        Second = new SecondHost(First.Database);
        Configure(Second);
        await Second.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)Second).DisposeAsync();
        await ((IAsyncLifetime)First).DisposeAsync();
    }

    /// <summary>Settings both hosts get before they start (none by default).</summary>
    protected virtual void Configure(FlashSaleApp host)
    {
    }
}
