using Spectre.Console;

namespace PtqSharp.Tests.Cli;

[CollectionDefinition("cli", DisableParallelization = true)]
public sealed class CliCollection;

/// <summary>Runs <c>ptq</c> in process and captures what it prints.</summary>
internal static class CliRunner
{
    public static (int ExitCode, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        var previous = AnsiConsole.Console;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Interactive = InteractionSupport.No,
            Ansi = AnsiSupport.No,
        });
        AnsiConsole.Profile.Width = 400;
        try
        {
            int code = PtqSharp.Cli.Program.Main(args);
            return (code, writer.ToString());
        }
        finally
        {
            AnsiConsole.Console = previous;
        }
    }
}
