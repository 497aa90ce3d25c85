using System.Net;

namespace FlashSale.Load.Cli;

/// <summary>
/// The tool only ever sends load to the address the user names (loopback when none is named), and never
/// derives another address from anything the host answers: redirects and proxies are off in the HTTP handler.
/// </summary>
internal static class TargetGuard
{
    public static readonly Uri DefaultTarget = new("http://127.0.0.1:5000");

    public static Uri Parse(string text)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"--target: '{text}' is not an http(s) URL such as http://127.0.0.1:5000");
        }

        if (uri.AbsolutePath != "/" || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new UsageException($"--target: give only scheme, host and port (got '{text}')");
        }

        return uri;
    }

    public static bool IsLoopback(Uri target) =>
        target.IsLoopback || (IPAddress.TryParse(target.DnsSafeHost, out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>The line printed before any request goes out, so nobody loads a host by surprise.</summary>
    public static string Describe(Uri target) =>
        IsLoopback(target)
            ? $"target {target.GetLeftPart(UriPartial.Authority)} (loopback)"
            : $"target {target.GetLeftPart(UriPartial.Authority)} (NOT loopback: named explicitly with --target)";
}
