using FlashSale.Engine.Core;
using Microsoft.Extensions.Options;

namespace FlashSale.Host.Infrastructure.Hosting;

/// <summary>Refuses to start with engine settings out of range; the ranges live once, in <see cref="SaleEngineOptions.Validate"/>.</summary>
public sealed class SaleEngineOptionsValidator : IValidateOptions<SaleEngineOptions>
{
    public ValidateOptionsResult Validate(string? name, SaleEngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentOutOfRangeException e)
        {
            return ValidateOptionsResult.Fail($"Engine:{e.ParamName} is out of range: {e.Message}");
        }
    }
}
