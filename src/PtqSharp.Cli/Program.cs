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
        return root.Parse(args).Invoke();
    }
}
