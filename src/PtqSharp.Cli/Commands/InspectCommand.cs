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
        var command = new Command("inspect", "Show a model's inputs, outputs, opset, op counts and which ops would be quantized, or, for a quantized model, its quantizers' types, scales and zero points.") { model, device };
        command.SetAction(r => CommandRunner.Run("inspect", () =>
        {
            var path = r.GetValue(model)!;
            var proto = OnnxModel.Load(path);
            var info = ModelInspector.Inspect(proto, TargetDeviceNames.Parse(r.GetValue(device)!, "--target-device"));
            Terminal.Result(new InspectResult(path, info));

            Terminal.Out.MarkupLine($"[bold]{Markup.Escape(path)}[/]: opset {info.Opset}, IR {info.IrVersion}, producer {Markup.Escape(info.Producer)}, {ByteSize.Format(info.SizeBytes)}");
            var io = new Table().Border(TableBorder.Rounded).AddColumns("", "name", "type", "shape");
            foreach (var t in info.Inputs) io.AddRow("input", Markup.Escape(t.Name), t.ElementType, Markup.Escape(t.Shape));
            foreach (var t in info.Outputs) io.AddRow("output", Markup.Escape(t.Name), t.ElementType, Markup.Escape(t.Shape));
            Terminal.Out.Write(io);

            if (info.Quantizers.Count > 0)
            {
                var ops = new Table().Border(TableBorder.Rounded).AddColumns("op type", "count");
                foreach (var op in info.OpTypes) ops.AddRow(op.OpType, op.Count.ToString());
                Terminal.Out.Write(ops);
                PrintQuantizers(info.Quantizers);
                return ExitCodes.Success;
            }

            if (info.CompressedWeights.Count > 0)
            {
                var byKind = info.CompressedWeights.GroupBy(w => $"{w.OpType} {w.Bits}-bit, block {w.BlockSize}{(w.ZeroPoints ? ", zero points" : "")}").Select(g => $"{g.Count()} {g.Key}");
                Terminal.Out.MarkupLine(Markup.Escape($"Weight-only compressed: {string.Join("; ", byKind)}."));
            }

            var planned = new Table().Border(TableBorder.Rounded).AddColumns("op type", "count", $"quantized ({info.Device})");
            foreach (var op in info.OpTypes) planned.AddRow(op.OpType, op.Count.ToString(), op.Quantized is int q ? q.ToString() : "-");
            Terminal.Out.Write(planned);
            Terminal.Out.MarkupLine($"{info.QuantizedOps} ops would be quantized, with {info.ActivationQuantizers} activation quantizers (after opset upgrade and BatchNorm folding).");
            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>An already quantized model: each quantizer's type, granularity, scales and zero points.</summary>
    private static void PrintQuantizers(IReadOnlyList<QuantizerInfo> quantizers)
    {
        const int Shown = 60;
        var table = new Table().Border(TableBorder.Rounded).AddColumns("tensor", "kind", "type", "granularity", "scale", "zero point");
        foreach (var q in quantizers.Take(Shown))
        {
            var granularity = q.Axis is int axis ? $"per channel, axis {axis} ({q.Channels})" : "per tensor";
            var scale = q.ScaleMin == q.ScaleMax ? $"{q.ScaleMin:G4}" : $"{q.ScaleMin:G4} .. {q.ScaleMax:G4}";
            var zeroPoint = q.ZeroPoints.Count == 1 ? q.ZeroPoints[0].ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{q.ZeroPoints.Count} values";
            table.AddRow(Markup.Escape(q.Tensor), q.Kind, q.Type, granularity, scale, zeroPoint);
        }

        Terminal.Out.Write(table);
        var byKind = string.Join(", ", quantizers.GroupBy(q => $"{q.Kind} {q.Type}").Select(g => $"{g.Count()} {g.Key}"));
        Terminal.Out.MarkupLine($"Already quantized: {quantizers.Count} quantizers ({Markup.Escape(byKind)}){(quantizers.Count > Shown ? $"; the first {Shown} shown" : "")}.");
    }
}
