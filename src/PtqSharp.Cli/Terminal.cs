using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace PtqSharp.Cli;

/// <summary>
/// Where the tool's output goes. Results (tables) go to stdout; progress, notes, warnings and errors to stderr,
/// so a pipeline can read stdout alone. With <c>--json</c>, stdout carries exactly one JSON object, written when
/// the command ends (its result, or the error and exit code); with <c>--quiet</c>, progress and notes are not shown.
/// </summary>
internal static class Terminal
{
    /// <summary>A console that discards everything: the tables of a JSON run.</summary>
    private static readonly IAnsiConsole Discard = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null), Interactive = InteractionSupport.No });

    private static IAnsiConsole? _errors;
    private static readonly List<string> Warnings = [];
    private static object? _result;

    /// <summary>One JSON object on stdout instead of tables.</summary>
    public static bool Json { get; private set; }

    /// <summary>No progress bars and no notes.</summary>
    public static bool Quiet { get; private set; }

    /// <summary>The stderr console; tests point it at their capture.</summary>
    public static IAnsiConsole Errors
    {
        get => _errors ??= CreateErrorConsole();
        set => _errors = value;
    }

    /// <summary>Results: the stdout console, or a console that writes nothing in JSON mode.</summary>
    public static IAnsiConsole Out => Json ? Discard : AnsiConsole.Console;

    /// <summary>Starts a command: resets what the previous one left (tests run many in one process).</summary>
    public static void Begin(bool json, bool quiet)
    {
        Json = json;
        Quiet = quiet;
        Warnings.Clear();
        _result = null;
        // Piped output is read by programs and wide terminals alike: do not wrap tables at 80 columns.
        if (Console.IsOutputRedirected && AnsiConsole.Console.Profile.Width < 1000 && !Json) AnsiConsole.Console.Profile.Width = 1000;
    }

    /// <summary>A line about the run in progress (what is being done), on stderr unless quiet.</summary>
    public static void Note(string markup)
    {
        if (!Quiet && !Json) Errors.MarkupLine(markup);
    }

    /// <summary>A warning: on stderr, and in the JSON object's <c>warnings</c>.</summary>
    public static void Warn(string text)
    {
        Warnings.Add(text);
        Errors.MarkupLine($"[yellow]warning:[/] {Markup.Escape(text)}");
    }

    /// <summary>An error message, on stderr.</summary>
    public static void Error(string markup) => Errors.MarkupLine(markup);

    /// <summary>What the command found, for its JSON object's <c>result</c>.</summary>
    public static void Result(object result) => _result = result;

    /// <summary>Ends a command: in JSON mode, writes its one object to stdout.</summary>
    public static void End(string command, int exitCode, string? error)
    {
        if (!Json) return;
        var root = new JsonObject
        {
            ["schema"] = $"ptq-{command}/1",
            ["command"] = command,
            ["version"] = typeof(Terminal).Assembly.GetName().Version?.ToString(3),
            ["exit_code"] = exitCode,
            ["warnings"] = new JsonArray(Warnings.Select(w => (JsonNode?)JsonValue.Create(w)).ToArray()),
        };
        if (error is not null) root["error"] = error;
        if (_result is not null) root["result"] = JsonSerializer.SerializeToNode(_result, _result.GetType(), ReportJson.Options);
        AnsiConsole.Console.Profile.Out.Writer.WriteLine(root.ToJsonString(ReportJson.Options));
        AnsiConsole.Console.Profile.Out.Writer.Flush();
    }

    private static IAnsiConsole CreateErrorConsole()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (Console.IsErrorRedirected) console.Profile.Width = Math.Max(console.Profile.Width, 1000);
        return console;
    }
}
