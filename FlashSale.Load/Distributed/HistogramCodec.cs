using HdrHistogram;
using HdrHistogram.Utilities;
using FlashSale.Load.Stats;

namespace FlashSale.Load.Distributed;

/// <summary>
/// HDR histograms as text for the Redis stream: HdrHistogram's own compressed encoding (the one its log files and
/// the Java/Go/Rust ports share), base64. Lossless, so merged percentiles are those of one big histogram.
/// </summary>
internal static class HistogramCodec
{
    public static string Encode(HistogramBase histogram)
    {
        var buffer = ByteBuffer.Allocate(histogram.GetNeededByteBufferCapacity());
        var length = HistogramEncoding.EncodeIntoCompressedByteBuffer(histogram, buffer);
        var bytes = new byte[length];
        buffer.Position = 0;
        for (var i = 0; i < length; i++)
        {
            bytes[i] = buffer.Get();
        }

        return Convert.ToBase64String(bytes);
    }

    /// <summary>Decodes into the run's histogram shape, so the result adds to any other histogram of the run.</summary>
    public static LongHistogram Decode(string base64)
    {
        var bytes = Convert.FromBase64String(base64);
        var decoded = HistogramEncoding.DecodeFromCompressedByteBuffer(ByteBuffer.Allocate(bytes), LatencyHistograms.Highest);
        var histogram = LatencyHistograms.Create();
        histogram.Add(decoded);
        return histogram;
    }
}
