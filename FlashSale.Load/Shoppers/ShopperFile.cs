using System.Text.Json.Serialization;

namespace FlashSale.Load.Shoppers;

/// <summary>A prepared shopper: an account on the host and a bearer token for it.</summary>
internal sealed record ShopperToken(Guid Id, string Email, string AccessToken);

/// <summary>The file <c>prepare</c> writes and <c>run</c> reuses while it fits the target and the tokens still live.</summary>
internal sealed record ShopperFile(string Target, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string Prefix, IReadOnlyList<ShopperToken> Shoppers);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ShopperFile))]
internal sealed partial class ShopperJsonContext : JsonSerializerContext;
