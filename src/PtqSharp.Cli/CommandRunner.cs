using Spectre.Console;

namespace PtqSharp.Cli;

/// <summary>Turns exceptions into readable messages and exit codes, the same way for every command.</summary>
internal static class CommandRunner
{
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (NotFasterException e)
        {
            SummaryPrinter.PrintLatency(e.Latency);
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return ExitCodes.NotFaster;
        }
        catch (PtqException e)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return ExitCodes.InputError;
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine("[yellow]cancelled[/]");
            return ExitCodes.InputError;
        }
        catch (Exception e)
        {
            AnsiConsole.MarkupLine($"[red]internal error:[/] {Markup.Escape(e.Message)}");
            Console.Error.WriteLine(e);
            return ExitCodes.InternalError;
        }
    }
}
