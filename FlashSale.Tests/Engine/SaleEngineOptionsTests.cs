using FlashSale.Engine.Core;

namespace FlashSale.Tests.Engine;

[Trait("Category", TestCategory.Unit)]
public sealed class SaleEngineOptionsTests
{
    [Fact]
    public void Defaults_are_valid() => new SaleEngineOptions().Validate();

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-1, 1)]
    [InlineData(SaleEngineOptions.MaxQueueCapacity + 1, 1)]
    [InlineData(16, 0)]
    [InlineData(16, SaleEngineOptions.MaxBatchLimit + 1)]
    public void Out_of_range_queue_capacity_or_batch_limit_is_rejected(int capacity, int batchLimit) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SaleEngineOptions { QueueCapacity = capacity, BatchLimit = batchLimit }.Validate());

    [Fact]
    public void Negative_durations_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SaleEngineOptions { KnownSoldOutTtl = TimeSpan.FromSeconds(-1) }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SaleEngineOptions { RetireAfterEnd = TimeSpan.FromSeconds(-1) }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SaleEngineOptions { RetirementSweepInterval = TimeSpan.FromSeconds(-1) }.Validate());
    }

    [Fact]
    public void Engine_refuses_invalid_options()
    {
        var sale = EngineTestKit.Sale();
        Assert.Throws<ArgumentOutOfRangeException>(() => new SaleEngine(sale, new FlashSale.Engine.InProcess.InProcessStockAuthority(),
            new FakeOrderJournal(), new SaleEngineOptions { BatchLimit = 0 }));
    }
}
