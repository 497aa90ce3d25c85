using System.Text.RegularExpressions;

namespace FlashSale.Tests.Hosting;

/// <summary>
/// Issue 12 item 6: the Host's folders depend on each other without circles, so a feature can be changed (or read)
/// without the others. A folder is a feature (<c>Sales</c>, <c>Orders</c>, <c>Realtime</c>…) or one part of
/// <c>Infrastructure</c>; <c>Infrastructure/Hosting</c> is the composition root: it may use every folder and no folder
/// uses it. Read from the sources (namespaces and the <c>FlashSale.Host.…</c> names each file uses), the way a newcomer
/// would follow them.
/// </summary>
[Trait("Category", TestCategory.Unit)]
public sealed partial class FolderDependencyTests
{
    private const string CompositionRoot = "Infrastructure/Hosting";

    [GeneratedRegex(@"^namespace (FlashSale\.Host[\w.]*)", RegexOptions.Multiline)]
    private static partial Regex Namespace();

    [GeneratedRegex(@"\bFlashSale\.Host\.(\w+)(?:\.(\w+))?")]
    private static partial Regex HostName();

    private static string Folder(string first, string? second) =>
        first == "Infrastructure" && second is not null ? $"Infrastructure/{second}" : first;

    private static Dictionary<string, HashSet<string>> Dependencies()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "FlashSale.slnx")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("FlashSale.slnx not found above the test binaries.");
        }
        var host = Path.Combine(root, "FlashSale.Host");
        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(host, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(host, file);
            if (relative.StartsWith("obj", StringComparison.Ordinal) || relative.StartsWith("bin", StringComparison.Ordinal))
            {
                continue;
            }
            var text = File.ReadAllText(file);
            var ns = Namespace().Match(text);
            if (!ns.Success || ns.Groups[1].Value == "FlashSale.Host")
            {
                continue; // Program and the root namespace: above every folder
            }
            var own = HostName().Match(ns.Groups[1].Value);
            var from = Folder(own.Groups[1].Value, own.Groups[2].Success ? own.Groups[2].Value : null);
            var uses = graph.TryGetValue(from, out var set) ? set : graph[from] = new HashSet<string>(StringComparer.Ordinal);
            foreach (Match name in HostName().Matches(text))
            {
                var to = Folder(name.Groups[1].Value, name.Groups[2].Success ? name.Groups[2].Value : null);
                if (to != from)
                {
                    uses.Add(to);
                }
            }
        }
        return graph;
    }

    [Fact]
    public void No_folder_uses_the_composition_root()
    {
        var users = Dependencies().Where(d => d.Key != CompositionRoot && d.Value.Contains(CompositionRoot)).Select(d => d.Key).ToList();
        Assert.True(users.Count == 0, $"{string.Join(", ", users)} use {CompositionRoot}");
    }

    [Fact]
    public void The_hosts_folders_depend_on_each_other_without_a_circle()
    {
        var graph = Dependencies();
        var done = new HashSet<string>(StringComparer.Ordinal);
        var path = new List<string>();

        void Visit(string folder)
        {
            var at = path.IndexOf(folder);
            Assert.True(at < 0, "circle: " + string.Join(" -> ", path.Skip(at).Append(folder)));
            if (!done.Add(folder))
            {
                return;
            }
            path.Add(folder);
            foreach (var next in graph.GetValueOrDefault(folder) ?? [])
            {
                Visit(next);
            }
            path.RemoveAt(path.Count - 1);
        }

        foreach (var folder in graph.Keys.Order(StringComparer.Ordinal))
        {
            Visit(folder);
        }
    }
}
