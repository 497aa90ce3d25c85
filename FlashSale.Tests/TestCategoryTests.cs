using System.Reflection;

namespace FlashSale.Tests;

/// <summary>
/// Every test class says which <see cref="TestCategory"/> it is in, so the inner-loop filter (Category=unit) misses no
/// test by accident and runs none that needs a service.
/// </summary>
[Trait("Category", TestCategory.Unit)]
public sealed class TestCategoryTests
{
    private static IEnumerable<Type> TestClasses() =>
        typeof(TestCategoryTests).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false })
            .Where(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
                .Any(m => m.IsDefined(typeof(FactAttribute), inherit: true)));

    private static List<string> Categories(Type type) =>
        type.GetCustomAttributesData()
            .Where(a => a.AttributeType == typeof(TraitAttribute) && (string?)a.ConstructorArguments[0].Value == "Category")
            .Select(a => (string)a.ConstructorArguments[1].Value!)
            .ToList();

    [Fact]
    public void Every_test_class_has_exactly_one_known_category()
    {
        var classes = TestClasses().ToList();
        Assert.True(classes.Count > 50, $"found only {classes.Count} test classes: the scan is broken");
        var wrong = classes
            .Select(t => (t.FullName, Categories: Categories(t)))
            .Where(c => c.Categories.Count != 1 || !TestCategory.All.Contains(c.Categories[0]))
            .Select(c => $"{c.FullName}: [{string.Join(", ", c.Categories)}]")
            .ToList();
        Assert.True(wrong.Count == 0,
            "Each test class needs exactly one [Trait(\"Category\", TestCategory.Unit|Integration|Browser|Chaos)]:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void Unit_tests_take_no_fixture_that_starts_something()
    {
        // Fixtures that start a host, a database, Redis or Chromium all implement IAsyncLifetime; a unit test needs none.
        var wrong = TestClasses()
            .Where(t => Categories(t) is [TestCategory.Unit])
            .SelectMany(t => t.GetConstructors().SelectMany(c => c.GetParameters())
                .Where(p => typeof(IAsyncLifetime).IsAssignableFrom(p.ParameterType))
                .Select(p => $"{t.FullName} takes {p.ParameterType.Name}"))
            .ToList();
        Assert.True(wrong.Count == 0, "Unit tests with a service fixture (make them integration):\n" + string.Join("\n", wrong));
    }
}
