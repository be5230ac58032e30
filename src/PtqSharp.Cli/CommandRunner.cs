using System.Runtime.InteropServices;
using PtqSharp.Execution;
using Spectre.Console;

namespace PtqSharp.Cli;

/// <summary>
/// Turns exceptions into readable messages and exit codes, the same way for every command, and Ctrl-C or
/// SIGTERM into a cancellation the library honours between samples, so temporary files are removed and
/// nothing is half-written.
/// </summary>
internal static class CommandRunner
{
    /// <summary>Whether internal errors print their stack trace (<c>--verbose</c>).</summary>
    public static bool Verbose { get; set; }

    /// <summary>The execution provider named by <c>--provider</c>, if any.</summary>
    public static string? Provider { get; set; }

    /// <summary>Cancelled by Ctrl-C or SIGTERM during the current command.</summary>
    public static CancellationToken Cancellation { get; private set; }

    public static int Run(Func<int> body)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // let the run unwind: its finally blocks delete temporary files
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            cts.Cancel();
        });
        Cancellation = cts.Token;
        try
        {
            using var runtime = RuntimeScope.Enter(Provider is null ? null : RuntimeOptions.ForProvider(Provider));
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
            AnsiConsole.MarkupLine("[yellow]cancelled: nothing was written[/]");
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)} (a file could not be read or written: check the path, its permissions and the free disk space)");
            return ExitCodes.FileError;
        }
        catch (Exception e)
        {
            AnsiConsole.MarkupLine($"[red]internal error:[/] {Markup.Escape(e.Message)}{(Verbose ? "" : " (run with --verbose for the stack trace to report)")}");
            if (Verbose) Console.Error.WriteLine(e);
            return ExitCodes.InternalError;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            Cancellation = CancellationToken.None;
        }
    }
}
