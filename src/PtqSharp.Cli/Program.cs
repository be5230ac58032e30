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
        };
        var verbose = new Option<bool>("--verbose") { Description = "On an internal error, print the stack trace too.", Recursive = true };
        var provider = new Option<string?>("--provider")
        {
            Description = "ONNX Runtime execution provider for every session that runs a model (CPU, or one the installed native runtime offers: CUDA, DML, OpenVINO, ...).",
            Recursive = true,
        };
        root.Options.Add(verbose);
        root.Options.Add(provider);
        var parsed = root.Parse(args);
        CommandRunner.Verbose = parsed.GetValue(verbose);
        CommandRunner.Provider = parsed.GetValue(provider);
        return parsed.Invoke();
    }
}
