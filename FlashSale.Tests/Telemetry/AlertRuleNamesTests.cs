using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using FlashSale.Engine.Core;
using FlashSale.Host.Infrastructure.Telemetry;

namespace FlashSale.Tests.Telemetry;

/// <summary>
/// The alert rules name metrics as Prometheus spells the host's instruments; a renamed instrument must not leave a rule
/// that silently never fires. Every <c>flashsale_*</c> name in the rules is one the exporter produces from an
/// instrument of the engine's or the host's meter.
/// </summary>
[Trait("Category", TestCategory.Unit)]
public sealed partial class AlertRuleNamesTests
{
    [GeneratedRegex(@"\bflashsale_[a-z_]+")]
    private static partial Regex MetricName();

    [Fact]
    public void Every_flashsale_metric_an_alert_rule_reads_is_exported_by_an_instrument()
    {
        var exported = ExportedNames();
        var rules = File.ReadAllText(Path.Combine(RepositoryRoot(), "ops", "prometheus", "rules", "flashsale.rules.yml"));
        var named = MetricName().Matches(rules).Select(m => m.Value).Distinct().ToList();

        Assert.NotEmpty(named);
        var unknown = named.Where(name => !exported.Contains(name)).ToList();
        Assert.True(unknown.Count == 0, "rules name metrics no instrument exports: " + string.Join(", ", unknown));
    }

    /// <summary>The OpenTelemetry Prometheus exporter's names: dots to underscores, the unit appended, counters in _total.</summary>
    private static HashSet<string> ExportedNames()
    {
        _ = EngineMetrics.BatchSize; // the static instruments exist once their classes are initialised
        _ = HostMetrics.Purchases;
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name is not (EngineMetrics.MeterName or HostMetrics.MeterName))
                {
                    return;
                }
                var name = instrument.Name.Replace('.', '_') + instrument.Unit switch
                {
                    "ms" => "_milliseconds",
                    "s" => "_seconds",
                    _ => "",
                };
                var type = instrument.GetType().GetGenericTypeDefinition();
                if (type == typeof(Counter<>))
                {
                    names.Add(name + "_total");
                }
                else if (type == typeof(Histogram<>))
                {
                    names.UnionWith([name + "_bucket", name + "_sum", name + "_count"]);
                }
                else
                {
                    names.Add(name);
                }
            },
        };
        listener.Start();
        return names;
    }

    private static string RepositoryRoot()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "FlashSale.slnx")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("FlashSale.slnx not found above the test binaries.");
        }
        return root;
    }
}
