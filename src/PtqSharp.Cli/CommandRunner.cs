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

    /// <param name="command">The command's name, for its JSON object.</param>
    /// <param name="body">The command; returns its exit code.</param>
    public static int Run(string command, Func<int> body)
    {
        var (code, error) = Execute(body);
        Terminal.End(command, code, error);
        return code;
    }

    private static (int Code, string? Error) Execute(Func<int> body)
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
            return (body(), null);
        }
        catch (NotFasterException e)
        {
            SummaryPrinter.PrintLatency(e.Latency);
            Terminal.Result(new NotFasterResult(e.Latency));
            return Fail(ExitCodes.NotFaster, e.Message);
        }
        catch (PtqException e)
        {
            return Fail(ExitCodes.InputError, e.Message);
        }
        catch (OperationCanceledException)
        {
            Terminal.Error("[yellow]cancelled: nothing was written[/]");
            return (ExitCodes.Cancelled, "cancelled: nothing was written");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(ExitCodes.FileError, $"{e.Message} (a file could not be read or written: check the path, its permissions and the free disk space)");
        }
        catch (Exception e)
        {
            Terminal.Error($"[red]internal error:[/] {Markup.Escape(e.Message)}{(Verbose ? "" : " (run with --verbose for the stack trace to report)")}");
            if (Verbose) Terminal.Errors.Profile.Out.Writer.WriteLine(e.ToString()); // raw: a trace must not be wrapped
            return (ExitCodes.InternalError, $"internal error: {e.Message}");
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            Cancellation = CancellationToken.None;
        }
    }

    private static (int, string) Fail(int code, string message)
    {
        Terminal.Error($"[red]error:[/] {Markup.Escape(message)}");
        return (code, message);
    }
}
