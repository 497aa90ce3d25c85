using System.Net.Http.Json;
using System.Text.Json;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Notifications;

/// <summary>Issue 16: an SMTP server that refuses for a while gets the mail later, once.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class SmtpRefusalTests(MailApp app) : IClassFixture<MailApp>
{
    [Fact]
    public async Task Mail_refused_for_a_while_is_retried_with_backoff_and_arrives_once_when_the_server_takes_it()
    {
        var (email, orderId) = await app.BuyWhileRefusedAsync("refused");

        await app.WaitForRowAsync(orderId, row => row.Attempts >= 3, "the dispatcher did not retry");
        Assert.Empty(app.Sink.For(email));
        Assert.Equal("pending", (await app.OutboxAsync(orderId)).Single().State);
        app.Sink.Refusing = false;

        Assert.Single(await app.Sink.WaitForAsync(email, "reserved"));
        var (_, state, attempts) = (await app.OutboxAsync(orderId)).Single();
        Assert.Equal("sent", state);
        Assert.True(attempts >= 4, $"{attempts} attempts");
    }
}

/// <summary>Issue 16: after N failed sends a message is dead, listed for the admin, and can be put back.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class DeadLetterTests(ImpatientMailApp app) : IClassFixture<ImpatientMailApp>
{
    [Fact]
    public async Task A_message_refused_N_times_is_a_dead_letter_the_admin_sees_and_can_send_again()
    {
        var (email, orderId) = await app.BuyWhileRefusedAsync("dead");

        var dead = await app.WaitForRowAsync(orderId, row => row.State == "dead", "the message did not die");
        Assert.Equal(2, dead.Attempts); // Notify:MaxAttempts, no more
        await Task.Delay(500);
        Assert.Equal(2, (await app.OutboxAsync(orderId)).Single().Attempts);

        using var admin = await app.AdminAsync();
        var listed = (await admin.GetFromJsonAsync<JsonElement>("/api/v1/notifications/dead-letters")).EnumerateArray()
            .Single(d => d.GetProperty("subjectId").GetGuid() == orderId);
        Assert.Equal("reserved", listed.GetProperty("kind").GetString());
        Assert.Equal(email, listed.GetProperty("email").GetString());
        Assert.Contains("Try again later", listed.GetProperty("lastError").GetString(), StringComparison.Ordinal);

        app.Sink.Refusing = false;
        var id = listed.GetProperty("id").GetInt64();
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await admin.PostAsync($"/api/v1/notifications/{id}/retry", null)).StatusCode);
        Assert.Single(await app.Sink.WaitForAsync(email, "reserved"));
        await ProblemAssert.IsProblemAsync(await admin.PostAsync($"/api/v1/notifications/{id}/retry", null), System.Net.HttpStatusCode.NotFound, "not-found");
    }
}
