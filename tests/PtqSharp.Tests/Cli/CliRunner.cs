using PtqSharp.Cli;
using Spectre.Console;

namespace PtqSharp.Tests.Cli;

[CollectionDefinition("cli", DisableParallelization = true)]
public sealed class CliCollection;

/// <summary>Runs <c>ptq</c> in process and captures what it prints.</summary>
internal static class CliRunner
{
    /// <summary>Runs the tool; <c>Output</c> holds stdout and stderr interleaved, as a terminal shows them.</summary>
    public static (int ExitCode, string Output) Run(params string[] args)
    {
        var both = new StringWriter();
        var (code, _, _) = Capture(args, both, both);
        return (code, both.ToString());
    }

    /// <summary>Runs the tool with stdout and stderr kept apart, as a pipeline sees them.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunSplit(params string[] args) =>
        Capture(args, new StringWriter(), new StringWriter());

    private static (int, string, string) Capture(string[] args, StringWriter stdout, StringWriter stderr)
    {
        var previous = AnsiConsole.Console;
        var previousErrors = Terminal.Errors;
        AnsiConsole.Console = Console(stdout);
        Terminal.Errors = Console(stderr);
        try
        {
            int code = PtqSharp.Cli.Program.Main(args);
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            AnsiConsole.Console = previous;
            Terminal.Errors = previousErrors;
        }
    }

    private static IAnsiConsole Console(StringWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Interactive = InteractionSupport.No,
            Ansi = AnsiSupport.No,
        });
        console.Profile.Width = 400;
        return console;
    }
}
