using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace FlashSale.Host.LoadTesting;

/// <summary>
/// The bulk-shopper endpoint for FlashSale.Load. Off unless <c>LoadTesting:Enabled</c> is true, and then still
/// admin-only; it never exists in a deployment that did not ask for it. Outside Development and Testing the host
/// refuses to start with it enabled unless <c>LoadTesting:AllowInProduction</c> says so too: it mints tokens
/// without passwords, which a production shop should only ever do on purpose.
/// </summary>
public sealed class LoadTestingOptions
{
    public const string Section = "LoadTesting";

    public bool Enabled { get; set; }

    /// <summary>The second switch a non-development environment needs before <see cref="Enabled"/> is honoured.</summary>
    public bool AllowInProduction { get; set; }

    /// <summary>Lifetime of the access tokens handed out, long enough for a whole run (an access token's maximum).</summary>
    [Range(1, Infrastructure.Security.JwtOptions.MaxAccessTokenMinutes)]
    public int TokenMinutes { get; set; } = 60;
}

/// <summary>Refuses <c>LoadTesting:Enabled</c> outside Development/Testing without <c>LoadTesting:AllowInProduction</c>.</summary>
public sealed class LoadTestingOptionsValidator(IHostEnvironment environment) : IValidateOptions<LoadTestingOptions>
{
    public ValidateOptionsResult Validate(string? name, LoadTestingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Enabled && !options.AllowInProduction && !environment.IsDevelopment() && !environment.IsEnvironment("Testing")
            ? ValidateOptionsResult.Fail($"LoadTesting:Enabled is refused in the {environment.EnvironmentName} environment unless LoadTesting:AllowInProduction is also true.")
            : ValidateOptionsResult.Success;
    }
}
