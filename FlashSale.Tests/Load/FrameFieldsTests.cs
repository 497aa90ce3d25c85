using System.Text;
using FlashSale.Load.Realtime;

namespace FlashSale.Tests.Load;

[Trait("Category", TestCategory.Unit)]
public sealed class FrameFieldsTests
{
    private static readonly Guid Sale = Guid.Parse("0b6e7f64-3a7c-4d52-9a7e-0f1b2c3d4e5f");

    [Fact]
    public void A_queue_frame_gives_its_admission_and_send_time_and_skips_the_fields_the_run_ignores()
    {
        var frame = FrameFields.Read(Encoding.UTF8.GetBytes(
            $$"""{"type":"queue","saleId":"{{Sale}}","admittedThrough":1200,"ratePerSecond":50.5,"returning":2,"absentAhead":[[1300,12],[1400,31]],"paused":false,"sentAt":1767000000123}"""));

        Assert.Equal(new FrameFields("queue", Sale, null, false, 1200, 1767000000123), frame);
    }

    [Theory]
    [InlineData("""{"type":"sale","status":"sold_out"}""", true)]
    [InlineData("""{"type":"sale","status":"ended"}""", true)]
    [InlineData("""{"type":"sale","status":"active"}""", false)]
    [InlineData("""{"type":"stock","remainingStock":3,"status":"active"}""", false)]
    public void A_status_tells_only_whether_the_sale_is_over(string json, bool over) =>
        Assert.Equal(over, FrameFields.Read(Encoding.UTF8.GetBytes(json))!.Value.Over);

    [Theory]
    [InlineData("""{"type":"restock"}""", "restock")]
    [InlineData("""{"type":"reminder"}""", "other")]
    [InlineData("""{"code":"unknown-sale"}""", null)]
    [InlineData("""{"type":7}""", null)]
    public void The_type_is_a_known_name_or_other(string json, string? type) =>
        Assert.Equal(type, FrameFields.Read(Encoding.UTF8.GetBytes(json))!.Value.Type);

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"type":"stock","remainingStock":""")]
    [InlineData("""[1,2]""")]
    [InlineData("")]
    public void Anything_but_a_whole_json_object_reads_as_nothing(string text) =>
        Assert.Null(FrameFields.Read(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void Reading_a_frame_allocates_nothing()
    {
        var bytes = Encoding.UTF8.GetBytes(
            $$"""{"type":"stock","saleId":"{{Sale}}","remainingStock":41,"status":"active","sentAt":1767000000123}""");
        _ = FrameFields.Read(bytes);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            _ = FrameFields.Read(bytes);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
