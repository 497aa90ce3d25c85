using System.Globalization;
using Microsoft.Extensions.Options;

namespace FlashSale.Host.Infrastructure.Telemetry;

/// <summary>
/// The Prometheus scrape endpoint (<c>Metrics:Prometheus</c>). Off unless <see cref="Enabled"/>; then <c>GET /metrics</c>
/// answers on <see cref="Url"/> only, an address and port of its own beside the shop's: the figures never leave through
/// the public port, and the scrape needs no account (a scraper holding an admin token that expires within the hour
/// would be worse). The default listens on loopback; a deployment opens it to its monitoring network on purpose.
/// </summary>
public sealed class PrometheusOptions
{
    public const string Section = "Metrics:Prometheus";

    public bool Enabled { get; set; }

    /// <summary>Where Kestrel listens for the scrape, e.g. <c>http://127.0.0.1:9464</c> or <c>http://0.0.0.0:9464</c>.</summary>
    public string Url { get; set; } = "http://127.0.0.1:9464";

    /// <summary>The port of <see cref="Url"/>, or null when it is not an http URL with an explicit port.</summary>
    public int? Port => ParsePort(Url);

    internal static int? ParsePort(string? url)
    {
        // Kestrel's wildcard hosts ("*", "+") are not valid URI hosts; the port is all that is read here.
        var normalized = url?.Replace("://*:", "://0.0.0.0:", StringComparison.Ordinal).Replace("://+:", "://0.0.0.0:", StringComparison.Ordinal);
        return Uri.TryCreate(normalized, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp &&
               uri.AbsolutePath == "/" && string.IsNullOrEmpty(uri.Query) &&
               normalized.Contains(":" + uri.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal) && uri.Port > 0
            ? uri.Port
            : null;
    }
}

/// <summary>Refuses an enabled endpoint without a usable address: the host would otherwise serve no metrics and say nothing.</summary>
public sealed class PrometheusOptionsValidator : IValidateOptions<PrometheusOptions>
{
    public ValidateOptionsResult Validate(string? name, PrometheusOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Enabled && options.Port is null
            ? ValidateOptionsResult.Fail($"{PrometheusOptions.Section}:Url must be an http URL with an explicit port and no path, e.g. http://127.0.0.1:9464 (was '{options.Url}').")
            : ValidateOptionsResult.Success;
    }
}
