using FlashSale.Host.Realtime;

namespace FlashSale.Tests.Realtime;

[Trait("Category", TestCategory.Unit)]
public sealed class SocketTokenTests
{
    [Theory]
    [InlineData("?access_token=abc.def.ghi", "abc.def.ghi")]
    [InlineData("?x=1&access_token=abc.def.ghi&y=2", "abc.def.ghi")]
    [InlineData("?access_token=a%2Eb", "a.b")]
    [InlineData("?access_token=", "")]
    [InlineData("?xaccess_token=abc", null)]
    [InlineData("?access_tokenx=abc", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void The_access_token_is_read_from_the_query_string_by_exact_name_and_unescaped(string? query, string? expected) =>
        Assert.Equal(expected, SocketTokens.QueryValue(query, "access_token"));
}
