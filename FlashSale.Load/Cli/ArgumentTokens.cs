namespace FlashSale.Load.Cli;

/// <summary>Which options a verb knows, and whether each takes a value or is a flag.</summary>
internal sealed record OptionSpec(string Name, bool TakesValue, string Help, bool Repeatable = false);

/// <summary>
/// A command line split into verb, positionals and <c>--name value</c> / <c>--name=value</c> options.
/// Small on purpose: the tool has a handful of verbs and no package for this is available.
/// </summary>
internal sealed class ArgumentTokens
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    private ArgumentTokens(string verb, IReadOnlyList<string> positionals)
    {
        Verb = verb;
        Positionals = positionals;
    }

    public string Verb { get; }

    public IReadOnlyList<string> Positionals { get; }

    public static ArgumentTokens Parse(IReadOnlyList<string> args, IReadOnlyCollection<OptionSpec> specs)
    {
        var byName = specs.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var positionals = new List<string>();
        var pending = new List<(string Name, string Value)>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                positionals.Add(arg);
                continue;
            }

            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq > 0 ? arg[2..eq] : arg[2..];
            if (!byName.TryGetValue(name, out var spec))
            {
                throw new UsageException($"unknown option --{name} (see --help)");
            }

            string value;
            if (!spec.TakesValue)
            {
                value = eq > 0 ? arg[(eq + 1)..] : "true";
            }
            else if (eq > 0)
            {
                value = arg[(eq + 1)..];
            }
            else if (i + 1 < args.Count)
            {
                value = args[++i];
            }
            else
            {
                throw new UsageException($"option --{name} needs a value");
            }

            pending.Add((name, value));
        }

        var verb = positionals.Count > 0 ? positionals[0] : "help";
        var tokens = new ArgumentTokens(verb, positionals.Skip(1).ToList());
        foreach (var (name, value) in pending)
        {
            if (!tokens._values.TryGetValue(name, out var list))
            {
                tokens._values[name] = list = [];
            }
            else if (!byName[name].Repeatable)
            {
                throw new UsageException($"option --{name} given twice");
            }

            list.Add(value);
        }

        return tokens;
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public string? Value(string name) => _values.TryGetValue(name, out var list) ? list[^1] : null;

    public IReadOnlyList<string> Values(string name) => _values.TryGetValue(name, out var list) ? list : [];

    public bool Flag(string name) =>
        Value(name) is { } v && !v.Equals("false", StringComparison.OrdinalIgnoreCase) && v != "0" && !v.Equals("off", StringComparison.OrdinalIgnoreCase);
}
