namespace FlashSale.Tests.Infrastructure;

/// <summary>
/// Where the real services for integration tests are. scripts/test.sh starts them and sets these variables;
/// the defaults match scripts/services.sh so a plain `dotnet test` works once the services are up.
/// </summary>
public static class TestEnvironment
{
    public static string PostgresAdmin =>
        Environment.GetEnvironmentVariable("FLASHSALE_TEST_POSTGRES")
        ?? "Host=127.0.0.1;Port=5432;Username=flashsale;Password=flashsale;Database=flashsale";

    public static string Redis =>
        Environment.GetEnvironmentVariable("FLASHSALE_TEST_REDIS") ?? "127.0.0.1:6379,defaultDatabase=15";
}
