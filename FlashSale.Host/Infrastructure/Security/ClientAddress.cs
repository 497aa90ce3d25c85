using System.Net;
using System.Net.Sockets;

namespace FlashSale.Host.Infrastructure.Security;

/// <summary>
/// The client a rate limit counts: the connection's address, or the address a trusted proxy forwarded
/// (<see cref="ForwardedHeadersSetup"/> rewrites <c>RemoteIpAddress</c> before any limiter runs). An IPv6 client is
/// grouped by its /64, the block one subscriber usually gets: otherwise one machine could draw a fresh bucket per
/// address of its prefix.
/// </summary>
public static class ClientAddress
{
    public static string PartitionKey(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return PartitionKey(http.Connection.RemoteIpAddress);
    }

    public static string PartitionKey(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}
