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
        root.Options.Add(verbose);
        var parsed = root.Parse(args);
        CommandRunner.Verbose = parsed.GetValue(verbose);
        return parsed.Invoke();
    }
}
