using System.CommandLine;
using PtqSharp.Hardware;
using PtqSharp.Onnx;
using PtqSharp.Quantization;
using Spectre.Console;

namespace PtqSharp.Cli.Commands;

/// <summary><c>ptq inspect</c>: what a model holds and what quantization would do to it.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "ONNX model to inspect." };
        var device = new Option<string>("--target-device") { Description = "Rules used to tell which ops would be quantized.", DefaultValueFactory = _ => "ANY" };
        var command = new Command("inspect", "Show a model's inputs, outputs, opset, op counts and which ops would be quantized.") { model, device };
        command.SetAction(r => CommandRunner.Run(() =>
        {
            var path = r.GetValue(model)!;
            var proto = OnnxModel.Load(path);
            var info = ModelInspector.Inspect(proto, TargetDeviceNames.Parse(r.GetValue(device)!, "--target-device"));

            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(path)}[/]: opset {info.Opset}, IR {info.IrVersion}, producer {Markup.Escape(info.Producer)}, {SummaryPrinter.Size(info.SizeBytes)}");
            var io = new Table().Border(TableBorder.Rounded).AddColumns("", "name", "type", "shape");
            foreach (var t in info.Inputs) io.AddRow("input", Markup.Escape(t.Name), t.ElementType, Markup.Escape(t.Shape));
            foreach (var t in info.Outputs) io.AddRow("output", Markup.Escape(t.Name), t.ElementType, Markup.Escape(t.Shape));
            AnsiConsole.Write(io);

            var ops = new Table().Border(TableBorder.Rounded).AddColumns("op type", "count", $"quantized ({info.Device})");
            foreach (var op in info.OpTypes) ops.AddRow(op.OpType, op.Count.ToString(), op.Quantized is int q ? q.ToString() : "-");
            AnsiConsole.Write(ops);
            AnsiConsole.MarkupLine($"{info.QuantizedOps} ops would be quantized, with {info.ActivationQuantizers} activation quantizers (after opset upgrade and BatchNorm folding).");
            return ExitCodes.Success;
        }));
        return command;
    }
}
