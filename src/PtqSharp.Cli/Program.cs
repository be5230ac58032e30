using System.CommandLine;
using PtqSharp.Cli.Commands;

namespace PtqSharp.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("ptq: post-training INT8 quantization of ONNX models.")
        {
            QuantizeCommand.Create(),
            InspectCommand.Create(),
            DevicesCommand.Create(),
            BenchmarkCommand.Create(),
            EvaluateCommand.Create(),
            DebugCommand.Create(),
            CompressWeightsCommand.Create(),
        };
        var verbose = new Option<bool>("--verbose") { Description = "On an internal error, print the stack trace too.", Recursive = true };
        var provider = new Option<string?>("--provider")
        {
            Description = "ONNX Runtime execution provider for every session that runs a model (CPU, or one the installed native runtime offers: CUDA, DML, OpenVINO, ...).",
            Recursive = true,
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (the result, or the error and exit code) on stdout and nothing else; see the README for its schema.", Recursive = true };
        var quiet = new Option<bool>("--quiet") { Description = "No progress bars and no notes on stderr; results, warnings and errors still show.", Recursive = true };
        root.Options.Add(verbose);
        root.Options.Add(provider);
        root.Options.Add(json);
        root.Options.Add(quiet);
        var parsed = root.Parse(args);
        CommandRunner.Verbose = parsed.GetValue(verbose);
        CommandRunner.Provider = parsed.GetValue(provider);
        Terminal.Begin(parsed.GetValue(json), parsed.GetValue(quiet));
        if (parsed.Errors.Count > 0 && Terminal.Json)
        {
            // The parser would print help on stdout; a pipeline asked for one JSON object.
            var message = string.Join("; ", parsed.Errors.Select(e => e.Message));
            Terminal.Error($"[red]error:[/] {Spectre.Console.Markup.Escape(message)} (see --help)");
            Terminal.End(parsed.CommandResult.Command.Name, ExitCodes.UsageError, message);
            return ExitCodes.UsageError;
        }

        return parsed.Invoke();
    }
}
