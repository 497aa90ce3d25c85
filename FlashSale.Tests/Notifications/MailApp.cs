using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Notifications;

/// <summary>A host whose mail goes to an in-process SMTP server, dispatched every 50 ms with short retries.</summary>
public class MailApp : FlashSaleApp
{
    public MailApp() : this(maxAttempts: 50) { }

    protected MailApp(int maxAttempts)
    {
        Settings["Email:Smtp:Host"] = "127.0.0.1";
        Settings["Email:Smtp:Port"] = Sink.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Settings["Email:Smtp:Security"] = "None";
        Settings["Email:From"] = "FlashSale Test <shop@flashsale.test>";
        Settings["Email:ShopName"] = "Test Shop";
        Settings["Email:PublicBaseUrl"] = "http://shop.test";
        Settings["Email:MaxPerSecond"] = "1000";
        Settings["Notify:PollMilliseconds"] = "50";
        Settings["Notify:RetryDelaySeconds"] = "0.1";
        Settings["Notify:MaxRetryDelaySeconds"] = "0.2";
        Settings["Notify:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public SmtpSink Sink { get; } = new();

    public override async Task InitializeAsync()
    {
        await Sink.StartAsync();
        await base.InitializeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Sink.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>The outbox rows of a subject: kind, state and attempts.</summary>
    public async Task<List<(string Kind, string State, int Attempts)>> OutboxAsync(Guid subjectId)
    {
        await using var connection = await Database.DataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<(string, string, int)>(
            "select kind, state, attempts from notification_outbox where subject_id = @subjectId order by id", new { subjectId })).AsList();
    }

    /// <summary>A new shopper buys one unit of a new sale while the mail server refuses everything.</summary>
    public async Task<(string Email, Guid OrderId)> BuyWhileRefusedAsync(string prefix)
    {
        var saleId = await this.CreateSaleAsync(totalStock: 10, perUserLimit: 3);
        var email = $"{prefix}-{Guid.NewGuid():N}@example.com";
        using var client = WithToken((await RegisterShopperAsync(email)).AccessToken);
        Sink.Refusing = true;
        return (email, await BuyAsync(client, saleId));
    }

    /// <summary>
    /// Waits until the subject's only outbox row satisfies <paramref name="done"/> (a reservation's row appears once the
    /// feeder queued it).
    /// </summary>
    public async Task<(string Kind, string State, int Attempts)> WaitForRowAsync(Guid subjectId, Func<(string Kind, string State, int Attempts), bool> done,
        string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var row = (await OutboxAsync(subjectId)).SingleOrDefault();
            if (row.Kind is not null && done(row))
            {
                return row;
            }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"{what}: the row is {row}");
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Waits until the shopper's list of notifications holds one (a reservation's is queued by the feeder within its
    /// period, not by the purchase's commit) and returns it.
    /// </summary>
    public static async Task<JsonElement> WaitForListedAsync(HttpClient shopper)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var items = (await shopper.GetFromJsonAsync<JsonElement>("/api/v1/notifications")).EnumerateArray().ToList();
            if (items.Count > 0)
            {
                return Assert.Single(items);
            }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "no notification was listed");
            await Task.Delay(50);
        }
    }

    /// <summary>Buys and returns the order's id.</summary>
    public static async Task<Guid> BuyAsync(HttpClient shopper, Guid saleId, int quantity = 1)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders") { Content = JsonContent.Create(new { flashSaleId = saleId, quantity }) };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString("N"));
        using var response = await shopper.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }
}

/// <summary>Gives up on a message after two failed sends.</summary>
public sealed class ImpatientMailApp() : MailApp(maxAttempts: 2);
