using FlashSale.Load.Cli;
using FlashSale.Load.Running;
using FlashSale.Load.Terminal;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Load;

/// <summary>FlashSale.Load pointed at the real host in memory: its HTTP handler, its WebSockets, its admin.</summary>
internal static class RealHostLoad
{
    /// <summary>A run of <paramref name="scenario"/> whose reports and shoppers file go under <paramref name="dir"/>.</summary>
    public static LoadOptions Options(string scenario, string dir) => new()
    {
        Scenario = scenario,
        Target = new Uri("http://localhost"),
        AdminEmail = FlashSaleApp.AdminEmail,
        AdminPassword = FlashSaleApp.AdminPassword,
        OutDir = Path.Combine(dir, "out"),
        ShoppersFile = Path.Combine(dir, "shoppers.json"),
    };

    /// <summary>Requests and WebSockets go to <paramref name="app"/>'s test server; no output.</summary>
    public static LoadEnvironment Environment(FlashSaleApp app)
    {
        return new LoadEnvironment
        {
            Handler = app.Server.CreateHandler(),
            ConnectWebSocket = (uri, token, ct) =>
            {
                var client = app.Server.CreateWebSocketClient();
                client.ConfigureRequest = request => request.Headers.Authorization = "Bearer " + token;
                return client.ConnectAsync(uri, ct);
            },
            Log = TextWriter.Null,
            Progress = new NullProgress(),
            GitCommit = "test",
        };
    }
}
