using System.Globalization;
using FlashSale.Load.Stats;
using Spectre.Console;

namespace FlashSale.Load.Terminal;

/// <summary>The interactive display: a table redrawn in place every second (elapsed, users, rps, p99, errors per step).</summary>
internal sealed class LiveProgress : IProgressSink
{
    public Task RunAsync(Func<Action<ProgressSnapshot>, Task> body) =>
        AnsiConsole.Live(new Markup("[grey]starting…[/]"))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(ctx => body(snapshot =>
            {
                ctx.UpdateTarget(Render(snapshot));
                ctx.Refresh();
            }));

    private static Table Render(ProgressSnapshot s)
    {
        static string F(FormattableString f) => f.ToString(CultureInfo.InvariantCulture);
        var table = new Table().Border(TableBorder.Rounded)
            .Title(F($"[bold]{s.Phase}[/]  {s.Elapsed.TotalSeconds:0}s / {s.Total.TotalSeconds:0}s   users {s.ActiveUsers}   rps {s.Rps:0}   p99 {s.P99Ms:0.0} ms   errors {s.Failures}"))
            .AddColumn("step").AddColumn(new TableColumn("rps").RightAligned()).AddColumn(new TableColumn("ok").RightAligned())
            .AddColumn(new TableColumn("refused").RightAligned()).AddColumn(new TableColumn("errors").RightAligned())
            .AddColumn(new TableColumn("p50 ms").RightAligned()).AddColumn(new TableColumn("p99 ms").RightAligned())
            .AddColumn(new TableColumn("max ms").RightAligned());
        foreach (var p in s.Steps)
        {
            table.AddRow(
                Markup.Escape(p.Step), F($"{p.Rps:0}"), F($"{p.Ok}"), F($"{p.Refused}"),
                p.Errors > 0 ? F($"[red]{p.Errors}[/]") : "0",
                F($"{p.P50Ms:0.00}"), F($"{p.P99Ms:0.00}"), F($"{p.MaxMs:0.00}"));
        }

        return table;
    }
}
