using Microsoft.Extensions.Options;

namespace FlashSale.Host.Infrastructure.Security;

/// <summary>Refuses a short signing key anywhere and the committed development key outside Development (tests set their own).</summary>
public sealed class JwtOptionsValidator(IHostEnvironment environment) : IValidateOptions<JwtOptions>
{
    public ValidateOptionsResult Validate(string? name, JwtOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.SigningKeyBytes().Length < 32)
        {
            return ValidateOptionsResult.Fail("Jwt:SigningKey must be at least 32 bytes. Set it through configuration (e.g. the Jwt__SigningKey environment variable).");
        }
        if (!environment.IsDevelopment() &&
            string.Equals(options.SigningKey, JwtOptions.DevelopmentSigningKey, StringComparison.Ordinal))
        {
            return ValidateOptionsResult.Fail($"Jwt:SigningKey is the committed development key; the {environment.EnvironmentName} environment needs its own secret.");
        }
        return ValidateOptionsResult.Success;
    }
}
