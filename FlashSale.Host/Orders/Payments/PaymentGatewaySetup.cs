using System.ComponentModel.DataAnnotations;
using FlashSale.Host.Infrastructure.Problems;
using Microsoft.Extensions.Options;

namespace FlashSale.Host.Orders.Payments;

/// <summary>Which payment gateway charges cards, bound from <c>Payments</c>.</summary>
public sealed class PaymentOptions
{
    public const string Section = "Payments";

    public const string TestGateway = "test";

    /// <summary>
    /// <c>test</c>: the built-in gateway that approves any card but the two test numbers (set in
    /// appsettings.Development.json only). Empty: no gateway, pay answers 503 <c>/payment-unavailable</c>.
    /// </summary>
    [RegularExpression("^(|test)$", ErrorMessage = "Payments:Gateway must be empty or 'test'.")]
    public string Gateway { get; set; } = "";

    public bool Configured => Gateway.Length > 0;
}

public static partial class PaymentGatewaySetup
{
    /// <summary>The gateway chosen by <c>Payments:Gateway</c>, and a warning at start when there is none.</summary>
    public static IServiceCollection AddFlashSalePayments(this IServiceCollection services)
    {
        services.AddOptions<PaymentOptions>().BindConfiguration(PaymentOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<TestPaymentGateway>();
        services.AddSingleton<IPaymentGateway>(sp => sp.GetRequiredService<IOptions<PaymentOptions>>().Value.Gateway == PaymentOptions.TestGateway
            ? sp.GetRequiredService<TestPaymentGateway>()
            : new NoPaymentGateway());
        services.AddHostedService<NoGatewayWarning>();
        return services;
    }

    /// <summary>Answers 503 <c>/payment-unavailable</c> before the handler when no gateway is configured.</summary>
    public static TBuilder RequirePaymentGateway<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<IOptions<PaymentOptions>>().Value.Configured
                ? await next(context)
                : Problems.Of(StatusCodes.Status503ServiceUnavailable, ProblemTypes.PaymentUnavailable, "Payments are not available.",
                    "This shop has no payment gateway configured; the order stays reserved until its deadline."));

    /// <summary>Registered when no gateway is configured; the pay route refuses before it could be called.</summary>
    private sealed class NoPaymentGateway : IPaymentGateway
    {
        public ValueTask<PaymentOutcome> ChargeAsync(Guid orderId, decimal amount, string cardNumber, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("No payment gateway is configured (Payments:Gateway).");

        // Nothing was charged: no pay attempt reached a gateway, so the sweeper expires marked orders as usual.
        public ValueTask<GatewayCharge?> FindChargeAsync(Guid orderId, CancellationToken cancellationToken) =>
            ValueTask.FromResult<GatewayCharge?>(null);
    }

    private sealed partial class NoGatewayWarning(IOptions<PaymentOptions> options, ILogger<NoGatewayWarning> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (!options.Value.Configured)
            {
                LogNoGateway(logger);
            }
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Warning, Message = "No payment gateway is configured (Payments:Gateway): paying an order answers 503 /payment-unavailable")]
        private static partial void LogNoGateway(ILogger logger);
    }
}
