using FlashSale.Load.Api;
using FlashSale.Load.Running;
using FlashSale.Load.Shoppers;
using FlashSale.Load.Stats;

namespace FlashSale.Load.Cli;

/// <summary><c>prepare</c>: creates shoppers once so that runs start without signing anyone in.</summary>
internal static class PrepareCommand
{
    public static async Task<int> RunAsync(PrepareOptions options, TextWriter log, HttpMessageHandler? handler, CancellationToken ct)
    {
        log.WriteLine($"FlashSale.Load prepare: {TargetGuard.Describe(options.Target)}");
        using var http = HttpFactory.CreateClient(handler ?? HttpFactory.CreateHandler(4), handler is null, options.Target, options.RequestTimeout);
        var api = new FlashSaleApi(http);
        var loadOptions = new LoadOptions
        {
            Target = options.Target,
            AdminEmail = options.AdminEmail,
            AdminPassword = options.AdminPassword,
            ShoppersFile = options.ShoppersFile,
        };
        var context = new ScenarioContext(loadOptions, api, new StatsCollector(), log, static (_, _, _) => throw new NotSupportedException(), ct);
        try
        {
            var admin = await context.AdminTokenAsync(ct);
            var file = await ShopperPreparer.CreateAsync(api, admin, options.Users, log, ct);
            ShopperStore.Save(options.ShoppersFile, file);
            log.WriteLine($"{file.Shoppers.Count} shoppers stored in {options.ShoppersFile}; tokens valid until {file.ExpiresAt:yyyy-MM-dd HH:mm:ss} UTC");
            return LoadRunner.ExitPassed;
        }
        catch (SetupException ex)
        {
            log.WriteLine("prepare failed: " + ex.Message);
            return LoadRunner.ExitSetup;
        }
    }
}
