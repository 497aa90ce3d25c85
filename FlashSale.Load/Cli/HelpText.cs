using System.Text;
using FlashSale.Load.Scenarios;

namespace FlashSale.Load.Cli;

/// <summary>The usage text, built from the option table so it never drifts from what the parser accepts.</summary>
internal static class HelpText
{
    public static string Render()
    {
        var h = new StringBuilder();
        h.AppendLine("FlashSale.Load: load scenarios against a FlashSale host, with live progress, percentiles, reports and an audit.");
        h.AppendLine();
        h.AppendLine("usage:");
        h.AppendLine("  FlashSale.Load run <scenario> [options]     run a scenario (reports in load-reports/<timestamp>-<scenario>)");
        h.AppendLine("  FlashSale.Load prepare [--users 10000]      create shoppers via the bulk endpoint, store their tokens");
        h.AppendLine("  FlashSale.Load scenarios                    list the scenarios");
        h.AppendLine();
        h.AppendLine("scenarios:");
        foreach (var name in ScenarioRegistry.Names)
        {
            var s = ScenarioRegistry.Create(name);
            h.AppendLine($"  {name,-16} {s.Description}");
        }

        h.AppendLine();
        h.AppendLine("run options:");
        foreach (var o in OptionTable.Run)
        {
            h.AppendLine($"  --{o.Name}{(o.TakesValue ? " <v>" : ""),-5} {o.Help}".Replace("<v>", "", StringComparison.Ordinal));
        }

        h.AppendLine();
        h.AppendLine("examples:");
        h.AppendLine("  FlashSale.Load run baseline --users 256 --duration 20s");
        h.AppendLine("  FlashSale.Load run purchase-storm --users 1000 --stock 5000 --threshold \"purchase.p99<50ms\" --threshold \"errors<0.1%\"");
        h.AppendLine("  FlashSale.Load run purchase-storm --rate 20000/s --ramp 5s --duration 30s --warmup 5s");
        h.AppendLine("  FlashSale.Load prepare --users 10000 && FlashSale.Load run flash-rush --users 10000");
        h.AppendLine();
        h.AppendLine("exit codes: 0 passed, 1 a threshold or the audit failed, 2 usage error, 3 set-up failed (host, admin, sale)");
        h.AppendLine("targets: only the --target you name (default http://127.0.0.1:5000); no proxies, no redirects are followed.");
        return h.ToString();
    }
}
