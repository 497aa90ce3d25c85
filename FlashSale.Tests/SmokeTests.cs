namespace FlashSale.Tests;

[Trait("Category", TestCategory.Unit)]
public class SmokeTests
{
    [Fact]
    public void Refused_decision_carries_no_order() =>
        Assert.Equal(Guid.Empty, FlashSale.Engine.Core.PurchaseDecision.Refused(FlashSale.Engine.Core.PurchaseStatus.SoldOut).OrderId);
}
