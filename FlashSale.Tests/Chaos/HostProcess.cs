using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Chaos;

/// <summary>
/// FlashSale.Host as a real OS process on a free loopback port, so a test can kill it with SIGKILL mid-storm the
/// way a crashed machine would, and start it again.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;
    private Process? _process;

    public HostProcess(TestDatabase database, Dictionary<string, string>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        Port = FreePort();
        _environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Testing",
            ["ConnectionStrings__Postgres"] = database.ConnectionString,
            ["ConnectionStrings__Redis"] = TestEnvironment.Redis,
            ["Jwt__SigningKey"] = FlashSaleApp.SigningKey,
            ["Seed__AdminEmail"] = FlashSaleApp.AdminEmail,
            ["Seed__AdminPassword"] = FlashSaleApp.AdminPassword,
            ["Seed__DemoData"] = "false",
            ["LoadTesting__Enabled"] = "true",
            ["Redis__SalesSetKey"] = $"flashsale:{database.Name}:sales",
            ["Realtime__Channel"] = $"flashsale:{database.Name}:events",
            ["RateLimits__Auth__PermitLimit"] = "100000",
            ["RateLimits__Shopper__TokenLimit"] = "100000",
            ["RateLimits__Shopper__TokensPerSecond"] = "100000",
            ["Payments__Gateway"] = "test",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? [])
        {
            _environment[key] = value;
        }
    }

    public int Port { get; }

    private readonly System.Text.StringBuilder _output = new();

    /// <summary>Set before <see cref="StartAsync"/>: the served process's stdout and stderr are kept in <see cref="Output"/>.</summary>
    public bool CaptureOutput { get; init; }

    /// <summary>What the served process wrote so far (with <see cref="CaptureOutput"/>).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    /// <summary>Runs a verb (migrate, seed) to completion.</summary>
    public async Task RunVerbAsync(string verb)
    {
        using var process = Start(verb, captureErrors: true);
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"'{verb}' exited {process.ExitCode}: {await errors}");
    }

    public async Task StartAsync()
    {
        _process = Start($"--urls {BaseAddress}", captureErrors: CaptureOutput, captureOutput: CaptureOutput);
        if (CaptureOutput)
        {
            _process.OutputDataReceived += (_, line) => Keep(line.Data);
            _process.ErrorDataReceived += (_, line) => Keep(line.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; attempt < 150; attempt++)
        {
            try
            {
                if ((await client.GetAsync("/health/live")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"The host on port {Port} did not start.");
    }

    /// <summary>SIGKILL: no graceful shutdown, nothing flushed, exactly like a crash.</summary>
    public void Kill()
    {
        _process?.Kill(entireProcessTree: true);
        _process?.WaitForExit();
        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private Process Start(string arguments, bool captureErrors, bool captureOutput = false)
    {
        var info = new ProcessStartInfo("dotnet", $"{HostAssembly()} {arguments}")
        {
            RedirectStandardError = captureErrors,
            RedirectStandardOutput = captureOutput,
            UseShellExecute = false,
        };
        foreach (var (key, value) in _environment)
        {
            info.Environment[key] = value;
        }
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the host.");
    }

    private static string HostAssembly()
    {
        // The tests reference the host project, so its own build output sits beside ours: .../FlashSale.Host/bin/<config>/net10.0.
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = testOutput.Parent!.Name;
        var root = testOutput.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(root, "FlashSale.Host", "bin", configuration, "net10.0", "FlashSale.Host.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build FlashSale.Host first.", path);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
