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
        h.AppendLine("  FlashSale.Load compare A B [options]        two runs' reports side by side: change, noise, audit (A, B: report.json or its directory)");
        h.AppendLine("  FlashSale.Load prepare-history --postgres <conn> [--orders 5000000] [--expired 500000]");
        h.AppendLine("                                              write past orders into the host's database (binary COPY)");
        h.AppendLine("  FlashSale.Load worker --redis HOST:PORT     one process of a multi-process run (started by --processes, or by hand on another machine)");
        h.AppendLine("  FlashSale.Load scenarios                    list the scenarios");
        h.AppendLine();
        h.AppendLine("scenarios:");
        foreach (var name in ScenarioRegistry.Names)
        {
            var s = ScenarioRegistry.Create(name);
            h.AppendLine($"  {name,-16} {s.Description}");
        }

        h.AppendLine();
        Options(h, "run options:", OptionTable.Run);
        Options(h, "prepare options:", OptionTable.Prepare.Where(o => !OptionTable.Common.Contains(o)));
        Options(h, "compare options:", OptionTable.Compare);
        Options(h, "prepare-history options:", HistoryCommand.Options);
        Options(h, "worker options:", OptionTable.Worker);
        h.AppendLine("examples:");
        h.AppendLine("  FlashSale.Load run baseline --users 256 --duration 20s");
        h.AppendLine("  FlashSale.Load run purchase-storm --users 1000 --stock 5000 --threshold \"purchase.p99<50ms\" --threshold \"errors<0.1%\"");
        h.AppendLine("  FlashSale.Load run purchase-storm --rate 20000/s --ramp 5s --duration 30s --warmup 5s");
        h.AppendLine("  FlashSale.Load prepare --users 10000 && FlashSale.Load run flash-rush --users 10000");
        h.AppendLine("  FlashSale.Load run sockets --users 50000 --processes 4 --redis 127.0.0.1:6379      # 50,000 screens from one machine");
        h.AppendLine("  FlashSale.Load compare load-reports/before load-reports/after --fail-if \"purchase.p99 > +10%\" --fail-if audit.changed --out cmp");
        h.AppendLine();
        h.AppendLine("exit codes: 0 passed, 1 a threshold, the audit or a --fail-if rule failed, 2 usage error, 3 set-up failed (host, admin, sale; compare: a report unreadable)");
        h.AppendLine("targets: only the --target you name (default http://127.0.0.1:5000); no proxies, no redirects are followed.");
        return h.ToString();
    }

    private static void Options(StringBuilder h, string title, IEnumerable<OptionSpec> options)
    {
        h.AppendLine(title);
        foreach (var o in options)
        {
            h.AppendLine($"  --{o.Name,-18} {o.Help}");
        }

        h.AppendLine();
    }
}
