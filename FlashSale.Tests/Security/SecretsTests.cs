using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Xml.Linq;
using FlashSale.Host.Accounts;
using FlashSale.Host.Infrastructure.Hosting;
using FlashSale.Host.Infrastructure.Security;
using FlashSale.Host.Infrastructure.Seeding;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlashSale.Tests.Security;

/// <summary>Issue 11 item 6 (and the 60-minute cap of item 7): development secrets stay in Development.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class SecretsTests
{
    private static string Repository([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    private static string Read(string relative) => File.ReadAllText(Path.Combine(Repository(), relative));

    private static WebApplication BuildHost(string environment, Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment });
        settings.TryAdd("ConnectionStrings:Postgres", "Host=127.0.0.1;Database=unused");
        // The default purchase path (Redis) needs a Redis; none answers here, and the host must not wait for it.
        settings.TryAdd("ConnectionStrings:Redis", "127.0.0.1:1,connectTimeout=200");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddFlashSale();
        return builder.Build();
    }

    [Theory]
    [InlineData("Testing")]
    [InlineData("Staging")]
    [InlineData("Production")]
    public async Task The_development_signing_key_is_refused_in_every_environment_but_Development(string environment)
    {
        await using var app = BuildHost(environment, new() { ["Jwt:SigningKey"] = JwtOptions.DevelopmentSigningKey });
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("development key", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("61")]
    [InlineData("1440")]
    public async Task Access_tokens_may_live_an_hour_at_most(string minutes)
    {
        await using var app = BuildHost("Production", new() { ["Jwt:SigningKey"] = new string('k', 48), ["Jwt:AccessTokenMinutes"] = minutes });
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("AccessTokenMinutes", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Testing")]
    [InlineData("Production")]
    public async Task The_READMEs_admin_password_is_refused_outside_Development(string environment)
    {
        var seeder = new Seeder(null!, new PasswordHashing(),
            Options.Create(new SeedOptions { AdminEmail = "admin@example.com", AdminPassword = SeedOptions.DevelopmentAdminPassword }),
            new HostingEnvironment { EnvironmentName = environment }, TimeProvider.System, NullLogger<Seeder>.Instance);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => seeder.RunAsync(CancellationToken.None));
        Assert.Contains("AdminPassword", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_development_settings_file_is_not_published()
    {
        var project = XDocument.Load(Path.Combine(Repository(), "FlashSale.Host", "FlashSale.Host.csproj"));
        var item = project.Descendants("Content").Single(e => (string?)e.Attribute("Update") == "appsettings.Development.json");
        Assert.Equal("Never", (string?)item.Attribute("CopyToPublishDirectory"));
    }

    [Fact]
    public void Compose_runs_Production_with_secrets_from_env_and_the_image_runs_unprivileged()
    {
        var compose = Read("docker-compose.yml");
        Assert.Contains("ASPNETCORE_ENVIRONMENT: Production", compose, StringComparison.Ordinal);
        Assert.DoesNotContain("ASPNETCORE_ENVIRONMENT: Development", compose, StringComparison.Ordinal);
        foreach (var secret in new[] { "FLASHSALE_JWT_SIGNING_KEY", "FLASHSALE_DB_PASSWORD", "FLASHSALE_REDIS_PASSWORD", "FLASHSALE_ADMIN_PASSWORD" })
        {
            Assert.Contains("${" + secret + ":?", compose, StringComparison.Ordinal);
        }
        Assert.Contains("--requirepass", compose, StringComparison.Ordinal);
        Assert.DoesNotContain(JwtOptions.DevelopmentSigningKey, compose, StringComparison.Ordinal);
        Assert.DoesNotContain(SeedOptions.DevelopmentAdminPassword, compose, StringComparison.Ordinal);
        Assert.Contains("Password=${FLASHSALE_DB_PASSWORD}", compose, StringComparison.Ordinal);
        // The many-hosts profile too: no development password, every Redis (cluster nodes included) asks for one and
        // every host's Redis connection string carries it.
        Assert.DoesNotContain("Password=flashsale;", compose, StringComparison.Ordinal);
        Assert.Equal(compose.Split("\"redis-server\"").Length, compose.Split("\"--requirepass\"").Length);
        Assert.All(compose.Split('\n').Where(l => l.Contains("ConnectionStrings__Redis:", StringComparison.Ordinal)),
            l => Assert.EndsWith(",password=${FLASHSALE_REDIS_PASSWORD}", l.Trim(), StringComparison.Ordinal));

        var dockerfile = Read("Dockerfile").Split('\n').Select(l => l.Trim()).ToArray();
        var user = dockerfile.Last(l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.DoesNotContain("root", user, StringComparison.Ordinal);
        Assert.True(Array.IndexOf(dockerfile, user) > Array.FindLastIndex(dockerfile, l => l.StartsWith("FROM ", StringComparison.Ordinal)));
        Assert.Contains(".env", File.ReadAllLines(Path.Combine(Repository(), ".gitignore")));
    }

    [Fact]
    public async Task Services_start_Redis_with_a_password_and_the_scripts_pass_it_only_when_asked()
    {
        var state = Directory.CreateTempSubdirectory("flashsale-redis-auth-");
        var port = FreePort();
        var environment = new Dictionary<string, string>
        {
            ["FLASHSALE_STATE_DIR"] = state.FullName,
            ["FLASHSALE_REDIS_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["FLASHSALE_REDIS_PASSWORD"] = "a-password-for-this-test",
        };
        try
        {
            Assert.Equal(0, (await RunAsync("scripts/services.sh up redis", environment)).Code);

            Assert.Contains("NOAUTH", (await RunAsync($"redis-cli -p {port} ping", environment)).Output, StringComparison.Ordinal);
            Assert.Contains("PONG", (await RunAsync($"REDISCLI_AUTH=a-password-for-this-test redis-cli -p {port} ping", environment)).Output, StringComparison.Ordinal);
            Assert.DoesNotContain("a-password-for-this-test", (await RunAsync($"ps -o args= -C redis-server", environment)).Output, StringComparison.Ordinal);
            var option = await RunAsync($". scripts/lib/redis-auth.sh; redis_password_option 127.0.0.1 {port}", environment);
            Assert.Equal(",password=a-password-for-this-test", option.Output.Trim());

            // The shared Redis of the suite, started without a password, gets none.
            var shared = StackExchange.Redis.ConfigurationOptions.Parse(Infrastructure.TestEnvironment.Redis);
            if (shared.Password is null)
            {
                var sharedPort = shared.EndPoints.Single() switch { DnsEndPoint d => d.Port, IPEndPoint i => i.Port, _ => 6379 };
                Assert.Equal("", (await RunAsync($". scripts/lib/redis-auth.sh; redis_password_option 127.0.0.1 {sharedPort}", environment)).Output.Trim());
            }
        }
        finally
        {
            await RunAsync("scripts/services.sh down redis", environment);
            state.Delete(recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<(int Code, string Output)> RunAsync(string command, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash", ["-c", command])
        {
            WorkingDirectory = Repository(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await errors);
    }
}
