using FlashSale.Host.Infrastructure.Hosting;
using Microsoft.Extensions.Options;

namespace FlashSale.Tests.Hosting;

/// <summary>
/// The transport's block pool keeps at most its budget of free blocks (shared by every pool of one factory) and
/// lets the rest go, so a connect storm's peak does not stay resident.
/// </summary>
[Trait("Category", TestCategory.Unit)]
public sealed class TransportBlockPoolTests
{
    [Fact]
    public void A_returned_block_is_rented_again_instead_of_a_new_one()
    {
        using var pool = new TransportBlockPool(new FreeBlockBudget(4));
        var first = pool.Rent();
        Assert.Equal(TransportBlockPool.BlockSize, first.Memory.Length);
        Assert.Equal(1, pool.Rented);
        var array = first.Memory;
        first.Dispose();
        Assert.Equal((0, 1), (pool.Rented, pool.Free));

        var second = pool.Rent();
        Assert.True(second.Memory.Span == array.Span, "the free block is reused");
        Assert.Equal((1L, 0, 1L), (pool.Rented, pool.Free, pool.Created));
        second.Dispose();
    }

    [Fact]
    public void Blocks_returned_beyond_the_cap_are_dropped_and_the_pool_keeps_only_the_cap()
    {
        var budget = new FreeBlockBudget(3);
        using var pool = new TransportBlockPool(budget);
        var storm = Enumerable.Range(0, 10).Select(_ => pool.Rent()).ToList();
        Assert.Equal((10L, 10L), (pool.Rented, pool.Created));

        storm.ForEach(block => block.Dispose());

        Assert.Equal((0L, 3, 7L), (pool.Rented, pool.Free, pool.Dropped));
        Assert.Equal(3, budget.Kept);
        // The kept ones serve the next three rents; the fourth is new.
        var next = Enumerable.Range(0, 4).Select(_ => pool.Rent()).ToList();
        Assert.Equal((11L, 0, 0), (pool.Created, pool.Free, budget.Kept));
        next.ForEach(block => block.Dispose());
    }

    [Fact]
    public void The_cap_is_shared_by_every_pool_of_one_factory()
    {
        var factory = new TransportBlockPoolFactory(Options.Create(new TransportPoolOptions { MaxPooledBlocks = 2 }));
        using var a = (TransportBlockPool)factory.Create();
        using var b = (TransportBlockPool)factory.Create();
        var blocks = new[] { a.Rent(), a.Rent(), b.Rent(), b.Rent() };
        foreach (var block in blocks)
        {
            block.Dispose();
        }
        Assert.Equal(2, a.Free + b.Free);
        Assert.Equal(2, factory.Budget.Kept);
        Assert.Equal(2, factory.PoolsCreated);
    }

    [Fact]
    public void A_block_disposed_twice_is_returned_once()
    {
        using var pool = new TransportBlockPool(new FreeBlockBudget(8));
        var block = pool.Rent();
        block.Dispose();
        block.Dispose();
        Assert.Equal((0L, 1), (pool.Rented, pool.Free));
    }

    [Fact]
    public void A_cap_of_zero_keeps_nothing()
    {
        using var pool = new TransportBlockPool(new FreeBlockBudget(0));
        pool.Rent().Dispose();
        Assert.Equal((0, 1L), (pool.Free, pool.Dropped));
    }

    [Fact]
    public void Larger_than_a_block_is_refused_and_any_size_gets_a_block()
    {
        using var pool = new TransportBlockPool(new FreeBlockBudget(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(TransportBlockPool.BlockSize + 1));
        using var any = pool.Rent(-1);
        Assert.Equal(TransportBlockPool.BlockSize, any.Memory.Length);
        Assert.Equal(TransportBlockPool.BlockSize, pool.MaxBufferSize);
    }

    [Fact]
    public void A_disposed_pool_gives_its_free_blocks_back_to_the_budget_and_drops_late_returns()
    {
        var budget = new FreeBlockBudget(4);
        var pool = new TransportBlockPool(budget);
        var late = pool.Rent();
        pool.Rent().Dispose();
        Assert.Equal(1, budget.Kept);

        pool.Dispose();
        late.Dispose();

        Assert.Equal((0, 0, 1L), (budget.Kept, pool.Free, pool.Dropped));
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
    }
}
