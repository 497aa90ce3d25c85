namespace FlashSale.Host.Accounts;

public static class AccountsSetup
{
    public static IServiceCollection AddFlashSaleAccounts(this IServiceCollection services)
    {
        services.AddOptions<SignInProtectionOptions>().BindConfiguration(SignInProtectionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PasswordHashing>();
        services.AddSingleton<PasswordHashGate>();
        services.AddSingleton<SignInFailures>();
        services.AddSingleton<UserStore>();
        services.AddSingleton<RefreshTokens>();
        return services;
    }
}
