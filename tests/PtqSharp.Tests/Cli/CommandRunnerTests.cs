using PtqSharp.Cli;

namespace PtqSharp.Tests.Cli;

/// <summary>Every way a command can end maps to its documented exit code.</summary>
[Collection("cli")]
public class CommandRunnerTests
{
    [Fact]
    public void Failures_map_to_their_documented_exit_codes()
    {
        Assert.Equal(0, CommandRunner.Run("test", () => ExitCodes.Success));
        Assert.Equal(2, CommandRunner.Run("test", () => throw new PtqException("bad input")));
        Assert.Equal(3, CommandRunner.Run("test", () => throw new InvalidOperationException("a bug")));
        Assert.Equal(6, CommandRunner.Run("test", () => throw new IOException("No space left on device : '/out/m.onnx'")));
        Assert.Equal(6, CommandRunner.Run("test", () => throw new UnauthorizedAccessException("Access to the path '/out' is denied.")));
        Assert.Equal(130, CommandRunner.Run("test", () => throw new OperationCanceledException()));
        Assert.Equal(1, CliRunner.Run("quantize", "--no-such-option").ExitCode);
    }

    [Fact]
    public void Stack_traces_only_with_verbose()
    {
        var quiet = CliRunner.Run("inspect", "--verbose", TestPaths.SampleModel);
        Assert.Equal(0, quiet.ExitCode);
        var original = Terminal.Errors;
        try
        {
            foreach (var verbose in new[] { false, true })
            {
                var error = new StringWriter();
                Terminal.Errors = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(error) });
                CommandRunner.Verbose = verbose;
                CommandRunner.Run("test", () => throw new InvalidOperationException("a bug"));
                Assert.Contains("internal error:", error.ToString());
                Assert.Equal(verbose, error.ToString().Contains("at PtqSharp.Tests", StringComparison.Ordinal));
            }
        }
        finally
        {
            CommandRunner.Verbose = false;
            Terminal.Errors = original;
        }
    }

    [Fact]
    public void A_command_sees_a_live_cancellation_token_only_while_it_runs()
    {
        CancellationToken seen = default;
        CommandRunner.Run("test", () =>
        {
            seen = CommandRunner.Cancellation;
            return 0;
        });
        Assert.True(seen.CanBeCanceled);
        Assert.False(CommandRunner.Cancellation.CanBeCanceled);
    }
}
