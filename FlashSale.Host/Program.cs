using FlashSale.Host.Infrastructure.Hosting;
using FlashSale.Host.Infrastructure.Persistence;
using FlashSale.Host.Infrastructure.Seeding;
using Npgsql;

// One binary, three verbs: `migrate` applies the SQL migrations, `seed` creates the admin and demo data,
// anything else serves. Neither verb serves.
var verb = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "serve";
var options = new WebApplicationOptions
{
    Args = verb == "serve" ? args : args[1..],
    // appsettings*.json and web/ are copied next to the binary (see the csproj), so the host finds them from
    // whatever directory it is started in.
    ContentRootPath = AppContext.BaseDirectory,
    WebRootPath = Path.Combine(AppContext.BaseDirectory, "web"),
};
var builder = WebApplication.CreateSlimBuilder(options);
builder.WebHost.UseKestrelHttpsConfiguration();
builder.AddFlashSale();
var app = builder.Build();

switch (verb)
{
    case "migrate":
        var applied = await MigrationRunner.ApplyAsync(app.Services.GetRequiredService<NpgsqlDataSource>(), CancellationToken.None);
        Console.WriteLine(applied.Count == 0 ? "Database is up to date." : $"Applied migrations: {string.Join(", ", applied)}");
        return 0;
    case "seed":
        await app.Services.GetRequiredService<Seeder>().RunAsync(CancellationToken.None);
        Console.WriteLine("Seed complete.");
        return 0;
    case "serve":
        app.UseFlashSale();
        await app.RunAsync();
        return 0;
    default:
        await Console.Error.WriteLineAsync($"Unknown verb '{verb}'. Use: migrate | seed | (no verb) to serve.");
        return 2;
}

/// <summary>The entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
