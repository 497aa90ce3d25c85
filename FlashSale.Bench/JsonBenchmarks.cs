using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using FlashSale.Host.Orders;

namespace FlashSale.Bench;

/// <summary>
/// The purchase's JSON on the host's own wire types: the request body (<see cref="PurchaseBody"/>) read from UTF-8,
/// and the 201 answer (<see cref="OrderResponse"/>) written to UTF-8. Source-generated metadata (what the host
/// registers first in its resolver chain) against the reflection-based serializer with the same Web options
/// (the baseline). The writer and its buffer are reused, as ASP.NET Core writes into its pooled pipe, so the
/// allocations shown are the serializer's own.
/// </summary>
[MemoryDiagnoser]
public class JsonPurchaseRequestBenchmarks
{
    private static readonly JsonSerializerOptions Reflection = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.Strict };

    private readonly byte[] _body = Encoding.UTF8.GetBytes("""{"flashSaleId":"0193a6f2-7c1e-7b52-9d0a-3f6b1c2d4e5f","quantity":2}""");

    [GlobalSetup]
    public void Setup()
    {
        // Warm the reflection cache so the baseline is its steady state, not its first call.
        _ = JsonSerializer.Deserialize<PurchaseBody>(_body, Reflection);
    }

    [Benchmark(Baseline = true, Description = "read PurchaseBody, reflection")]
    public PurchaseBody? ReadReflection() => JsonSerializer.Deserialize<PurchaseBody>(_body, Reflection);

    [Benchmark(Description = "read PurchaseBody, source-generated")]
    public PurchaseBody? ReadSourceGenerated() => JsonSerializer.Deserialize(_body, BenchJsonContext.Default.PurchaseBody);
}

/// <summary>The 201 answer of a purchase, written to UTF-8; see <see cref="JsonPurchaseRequestBenchmarks"/>.</summary>
[MemoryDiagnoser]
#pragma warning disable CA1001 // The writer is disposed in [GlobalCleanup]; BenchmarkDotNet owns the instance's lifetime.
public class JsonPurchaseResponseBenchmarks
#pragma warning restore CA1001
{
    private static readonly JsonSerializerOptions Reflection = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.Strict };

    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private Utf8JsonWriter _writer = null!;
    private OrderResponse _order = null!;

    [GlobalSetup]
    public void Setup()
    {
        var created = new DateTime(2026, 11, 25, 12, 0, 0, 123, DateTimeKind.Utc);
        _order = new OrderResponse(Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7(), 2, 19.99m, 39.98m,
            OrderStatus.Reserved, created, created.AddSeconds(600));
        _writer = new Utf8JsonWriter(_buffer);
        WriteReflection();
    }

    [GlobalCleanup]
    public void Cleanup() => _writer.Dispose();

    [Benchmark(Baseline = true, Description = "write OrderResponse, reflection")]
    public int WriteReflection()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        JsonSerializer.Serialize(_writer, _order, Reflection);
        _writer.Flush();
        return _buffer.WrittenCount;
    }

    [Benchmark(Description = "write OrderResponse, source-generated")]
    public int WriteSourceGenerated()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        JsonSerializer.Serialize(_writer, _order, BenchJsonContext.Default.OrderResponse);
        _writer.Flush();
        return _buffer.WrittenCount;
    }
}

/// <summary>The same generator options as the host's FlashSaleJsonContext (Web defaults), for the two purchase types.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(PurchaseBody))]
[JsonSerializable(typeof(OrderResponse))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
