using System.Net.Http.Json;
using FlashSale.Tests.Infrastructure;
using OpenQA.Selenium.Chrome;

namespace FlashSale.Tests.Browser;

/// <summary>
/// The real host on a real Kestrel socket (a browser cannot reach WebApplicationFactory's in-memory TestServer),
/// on its own fresh database with the demo catalogue seeded, serving web/ at /.
/// </summary>
public sealed class KestrelFlashSaleApp : FlashSaleApp
{
    public KestrelFlashSaleApp()
    {
        UseKestrel(0); // a free 127.0.0.1 port chosen by the OS
        Settings["Seed:DemoData"] = "true";
    }

    /// <summary>http://127.0.0.1:PORT/ once the server runs.</summary>
    public Uri BaseAddress => ClientOptions.BaseAddress;
}

/// <summary>
/// One host and one headless Chromium for the whole browser collection: starting Chromium costs about a second,
/// so the tests share it and each one starts from a clean tab (see <see cref="ShopPage.Reset"/>).
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private readonly string _profile = Path.Combine(Path.GetTempPath(), $"flashsale-chromium-{Guid.NewGuid():N}");

    public KestrelFlashSaleApp App { get; } = new();

    public ChromeDriver Driver { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await App.InitializeAsync();
        Driver = StartChromium(_profile);
    }

    public async Task DisposeAsync()
    {
        try
        {
            Driver?.Quit();
            Driver?.Dispose();
        }
        finally
        {
            await ((IAsyncLifetime)App).DisposeAsync();
            try
            {
                Directory.Delete(_profile, recursive: true);
            }
            catch (IOException)
            {
                // Chromium may still be letting go of a file; the temp directory is cleaned eventually.
            }
        }
    }

    private static ChromeDriver StartChromium(string profile)
    {
        var driverPath = Environment.GetEnvironmentVariable("FLASHSALE_CHROMEDRIVER") ?? "/usr/bin/chromedriver";
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(driverPath), Path.GetFileName(driverPath));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions
        {
            BinaryLocation = Environment.GetEnvironmentVariable("FLASHSALE_CHROMIUM") ?? "/usr/bin/chromium",
        };
        options.AddArguments(
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-extensions", "--window-size=1280,900", "--lang=en-US", $"--user-data-dir={profile}");
        var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(30));
        driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(15);
        return driver;
    }

    /// <summary>Creates a product and a sale that is on now, through the API, and returns the sale.</summary>
    public async Task<SaleBody> CreateSaleAsync(string productName, decimal basePrice, decimal salePrice, int stock, int perUserLimit = 2)
    {
        using var admin = await App.AdminAsync();
        var productResponse = await admin.PostAsJsonAsync("/api/v1/products",
            new { name = productName, description = "Made for a browser test.", basePrice });
        productResponse.EnsureSuccessStatusCode();
        var product = (await productResponse.Content.ReadFromJsonAsync<ProductBody>())!;
        var now = DateTimeOffset.UtcNow;
        var saleResponse = await admin.PostAsJsonAsync("/api/v1/flash-sales", new
        {
            productId = product.Id, salePrice, totalStock = stock, perUserLimit, startsAt = now.AddSeconds(-1), endsAt = now.AddHours(1),
        });
        saleResponse.EnsureSuccessStatusCode();
        return (await saleResponse.Content.ReadFromJsonAsync<SaleBody>())!;
    }
}

/// <summary>
/// Runs on its own, after the parallel collections: Chromium plus a Kestrel host is the heaviest fixture,
/// and on a 2-core machine it should neither slow the other tests' timing nor be slowed by them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserGroup : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}

public sealed record ProductBody(Guid Id, string Name, decimal BasePrice);

public sealed record SaleBody(Guid Id, Guid ProductId, string ProductName, decimal SalePrice, int TotalStock, int RemainingStock, string Status);
