namespace FlashSale.Tests.Load;

/// <summary>An in-memory HTTP handler: the load tool's requests never touch a socket in these tests.</summary>
internal sealed class StubHandler(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> answer) : HttpMessageHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        answer(request, cancellationToken);

    public static HttpResponseMessage Text(string text) => new(System.Net.HttpStatusCode.OK) { Content = new StringContent(text) };
}
