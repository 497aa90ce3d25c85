namespace FlashSale.Host.Notifications;

public static class NotificationsSetup
{
    /// <summary>
    /// The outbox's dispatcher, the feeder of reservation notices and the reminder scheduler run on every host when
    /// <c>Notify:Enabled</c> (the default); off, nothing notifiable is written or sent, for an A/B of the purchase path.
    /// The endpoints exist either way.
    /// </summary>
    public static IServiceCollection AddFlashSaleNotifications(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<NotifyOptions>().BindConfiguration(NotifyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EmailOptions>().BindConfiguration(EmailOptions.Section).ValidateDataAnnotations()
            .Validate(EmailOptions.IsValid, EmailOptions.InvalidMessage).ValidateOnStart();
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Add(NotificationsJsonContext.Default));
        services.AddSingleton<OrderNotices>();
        services.AddSingleton<UnsubscribeLinks>();
        services.AddSingleton<SmtpMailer>();
        services.AddSingleton<ReminderFrames>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddSingleton<ReservedNoticeFeeder>();
        services.AddSingleton<ReminderScheduler>();
        if (configuration.GetValue(NotifyOptions.Section + ":" + nameof(NotifyOptions.Enabled), true))
        {
            services.AddHostedService(sp => sp.GetRequiredService<ReservedNoticeFeeder>());
            services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
            services.AddHostedService(sp => sp.GetRequiredService<ReminderScheduler>());
        }
        return services;
    }
}
