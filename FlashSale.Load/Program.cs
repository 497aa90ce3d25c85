using FlashSale.Load.Cli;
using FlashSale.Load.Compare;
using FlashSale.Load.Distributed;
using FlashSale.Load.Running;
using FlashSale.Load.Scenarios;
using FlashSale.Load.Terminal;
using Spectre.Console;

namespace FlashSale.Load;

/// <summary>
/// FlashSale.Load: run | prepare | prepare-history | compare | worker | scenarios | help. Exit codes: 0 passed, 1 failed, 2 usage, 3 set-up.
/// A named entry class rather than top-level statements, so the tests (which also reference the host's
/// <c>Program</c>) see exactly one <c>Program</c> type.
/// </summary>
internal static class LoadProgram
{
    public static async Task<int> Main(string[] args)
    {
        using var interrupt = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // First Ctrl+C stops the run gracefully (reports are still written); a second one kills the process.
            if (!interrupt.IsCancellationRequested)
            {
                e.Cancel = true;
                interrupt.Cancel();
            }
        };

        try
        {
            var verb = args.Length > 0 ? args[0] : "help";
            switch (verb)
            {
                case "run":
                {
                    var tokens = ArgumentTokens.Parse(args, OptionTable.Run);
                    if (tokens.Flag("help"))
                    {
                        Console.Out.Write(HelpText.Render());
                        return LoadRunner.ExitPassed;
                    }

                    var options = OptionsBinder.BindRun(tokens, args);
                    var outcome = await LoadRunner.RunAsync(options, null, interrupt.Token);
                    var ansi = !options.Plain && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
                    SummaryPrinter.Print(outcome, ansi);
                    return outcome.ExitCode;
                }

                case "prepare":
                {
                    var tokens = ArgumentTokens.Parse(args, OptionTable.Prepare);
                    return await PrepareCommand.RunAsync(OptionsBinder.BindPrepare(tokens), Console.Out, null, interrupt.Token);
                }

                case "compare":
                {
                    var tokens = ArgumentTokens.Parse(args, OptionTable.Compare);
                    if (tokens.Flag("help"))
                    {
                        Console.Out.Write(HelpText.Render());
                        return LoadRunner.ExitPassed;
                    }

                    return CompareCommand.Run(CompareCommand.Bind(tokens), Console.Out, Console.Error);
                }

                case "prepare-history":
                    return await HistoryCommand.RunAsync(ArgumentTokens.Parse(args, HistoryCommand.Options), Console.Out, interrupt.Token);

                case "worker":
                {
                    var tokens = ArgumentTokens.Parse(args, OptionTable.Worker);
                    if (tokens.Flag("help"))
                    {
                        Console.Out.Write(HelpText.Render());
                        return LoadRunner.ExitPassed;
                    }

                    return await WorkerCommand.RunAsync(WorkerCommand.Bind(tokens), new LoadEnvironment(), interrupt.Token);
                }

                case "scenarios":
                    foreach (var name in ScenarioRegistry.Names)
                    {
                        Console.Out.WriteLine($"{name,-16} {ScenarioRegistry.Create(name).Description}");
                    }

                    return LoadRunner.ExitPassed;

                case "help" or "--help" or "-h":
                    Console.Out.Write(HelpText.Render());
                    return LoadRunner.ExitPassed;

                default:
                    throw new UsageException($"unknown verb '{verb}'; use run, prepare, prepare-history, compare, worker, scenarios or help");
            }
        }
        catch (UsageException ex)
        {
            Console.Error.WriteLine("error: " + ex.Message);
            return LoadRunner.ExitUsage;
        }
    }
}
