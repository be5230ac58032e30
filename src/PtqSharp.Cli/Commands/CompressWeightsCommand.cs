using System.CommandLine;
using PtqSharp.Cli.Config;
using PtqSharp.Onnx;
using PtqSharp.Quantization.WeightCompression;
using Spectre.Console;

namespace PtqSharp.Cli.Commands;

/// <summary><c>ptq compress-weights</c>: weight-only 4- or 8-bit compression for ONNX Runtime's MatMulNBits and GatherBlockQuantized kernels.</summary>
internal static class CompressWeightsCommand
{
    private static readonly Dictionary<string, WeightCompressionMode> Modes = new()
    {
        ["int4-sym"] = WeightCompressionMode.Int4Symmetric,
        ["int4-asym"] = WeightCompressionMode.Int4Asymmetric,
        ["int8-sym"] = WeightCompressionMode.Int8Symmetric,
        ["int8-asym"] = WeightCompressionMode.Int8Asymmetric,
    };

    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "The float (FP32) model.", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Where the compressed model goes (written whole or not at all).", Required = true };
        var mode = new Option<string>("--mode") { Description = "int4-sym, int4-asym, int8-sym or int8-asym (weights only; activations stay float).", DefaultValueFactory = _ => "int8-asym" };
        var group = new Option<int>("--group-size") { Description = "Weights per scale along the input dimension: a power of 2, at least 16.", DefaultValueFactory = _ => 128 };
        var ratio = new Option<double>("--ratio") { Description = "4-bit modes: share of the 4-bit-eligible weights in 4 bits; the layers with the largest 4-bit error take 8.", DefaultValueFactory = _ => 1.0 };
        var allLayers = new Option<bool>("--all-layers") { Description = "4-bit modes: embeddings and the last MatMul in 4 bits too (8 bits by default)." };
        var level = new Option<int>("--accuracy-level") { Description = "MatMulNBits accuracy_level: 4 int8 compute (fast on CPUs), 0 float compute (exact, slower).", DefaultValueFactory = _ => 4 };
        var externalData = new Option<bool>("--external-data") { Description = "Write the weights to name.onnx.data beside the model (ONNX external data), as a pair with it." };
        var gptq = new Option<bool>("--gptq") { Description = "With --data: round MatMul weights with GPTQ against each layer's input Hessian (slower; a pass of the data per batch of layers)." };
        var awq = new Option<bool>("--awq") { Description = "With --data: AWQ's activation-aware scaling of the 4-bit MatMuls' input features (a Mul before them divides the input)." };
        var subset = new Option<int>("--subset-size") { Description = "With --data: samples that measure the activations.", DefaultValueFactory = _ => 128 };
        var ignored = new BoundOptions(["--ignore-names", "--ignore-patterns", "--ignore-types", .. QuantizeOptions.DataFlags], new Dictionary<string, string>
        {
            ["--data"] = "Calibration samples (images or NumPy): each group's clipping and scale then minimise the layer's output error, weighted by the activations.",
        });
        var command = new Command("compress-weights", "Weight-only compression: MatMul weights and embeddings in 4 or 8 bits per group, run by ONNX Runtime's MatMulNBits and GatherBlockQuantized kernels. Needs no data.")
        {
            model, output, mode, group, ratio, allLayers, level, externalData, awq, gptq, subset,
        };
        ignored.AddTo(command);
        command.SetAction(r => CommandRunner.Run("compress-weights", () =>
        {
            var modelPath = r.GetValue(model)!;
            var outputPath = r.GetValue(output)!;
            var modeName = r.GetValue(mode)!;
            if (!Modes.TryGetValue(modeName, out var chosen)) throw new PtqException($"--mode '{modeName}' is not one of: {string.Join(", ", Modes.Keys)}.");
            var settings = ignored.Apply(r, new QuantizeSettings());
            var options = new WeightCompressionOptions
            {
                Mode = chosen,
                GroupSize = r.GetValue(group),
                Ratio = r.GetValue(ratio),
                AllLayers = r.GetValue(allLayers),
                AccuracyLevel = r.GetValue(level),
                SubsetSize = r.GetValue(subset),
                Gptq = r.GetValue(gptq),
                Awq = r.GetValue(awq),
                IgnoredScope = settings.Quantization.IgnoredScope,
            };
            bool external = r.GetValue(externalData);
            List<(string, string)> outputs = [("--output", outputPath), OutputGuard.ExternalDataFileOf(outputPath)];
            OutputGuard.Check(outputs, [("the --model", modelPath), ("the --data folder", settings.Data)]);
            var source = OnnxModel.Load(modelPath);
            // The model's own external data files are known once it is read.
            OutputGuard.Check(outputs, source.ExternalDataFiles.Select(f => ("the --model's external data", (string?)f)));
            var data = settings.Data is { } folder ? DataSources.Open(folder, () => settings.Preprocessing.ResolveFor(source)) : null;
            Terminal.Note($"Compressing the weights of [bold]{Markup.Escape(modelPath)}[/] ({modeName}, group {options.GroupSize}{(data is null ? ", data-free" : $", activations from {Math.Min(options.SubsetSize, data.Count)} samples")})");
            var result = SpectreProgress.Run(p => WeightCompressor.Compress(source, data, options, p, CommandRunner.Cancellation));
            result.Save(outputPath, external);
            OutputGuard.NoteExternalData(result.Model, outputPath, asked: external);
            Print(result.Report, outputPath);
            Terminal.Result(new CompressWeightsResult(outputPath, result.Report));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static void Print(WeightCompressionReport report, string outputPath)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn("").HideHeaders();
        table.AddRow("Output", Markup.Escape(outputPath));
        var byBits = report.Layers.GroupBy(l => (l.OpType, l.Bits)).OrderBy(g => g.Key.OpType).ThenBy(g => g.Key.Bits).Select(g => $"{g.Key.OpType} {g.Key.Bits}-bit {g.Count()}");
        table.AddRow("Weights compressed", Markup.Escape($"{report.Layers.Count} ({string.Join(", ", byBits)}); {report.FourBitShare:P0} of the compressed weights in 4 bits; {report.Skipped.Count} left in float"));
        table.AddRow("Size", $"{ByteSize.Format(report.SizeBefore)} -> {ByteSize.Format(report.SizeAfter)} ({(double)report.SizeBefore / report.SizeAfter:0.0}x smaller)");
        var kernels = new[] { "MatMulNBits", "GatherBlockQuantized" }.Select(k => $"{k} {report.RuntimeOpCounts.GetValueOrDefault(k)}");
        table.AddRow("Weight-only kernels in ONNX Runtime", string.Join(", ", kernels) + (report.RuntimeOpCounts.GetValueOrDefault("MatMul") is > 0 and var m ? $"; float MatMul left: {m}" : ""));
        table.AddRow("Relative weight error", $"mean {report.Layers.Average(l => l.RelativeError):0.0000}, worst {report.Layers.Max(l => l.RelativeError):0.0000}");
        var measured = report.Layers.Where(l => l.OutputError is not null).ToList();
        if (report.AwqScaled.Count > 0) table.AddRow("AWQ", Markup.Escape($"{report.AwqScaled.Count} input tensor(s) scaled: {string.Join(", ", report.AwqScaled.Take(4))}{(report.AwqScaled.Count > 4 ? ", ..." : "")}"));
        if (measured.Count > 0) table.AddRow("Relative output error", $"mean {measured.Average(l => l.OutputError!.Value):0.0000}, worst {measured.Max(l => l.OutputError!.Value):0.0000} (MatMul and Gemm, {(report.Gptq ? "under the full input Hessian XᵀX, rounded with GPTQ" : "weighted by each input's mean square")})");
        table.AddRow("Time", $"{report.Time.TotalSeconds:0.0} s");
        foreach (var s in report.Skipped.Take(5)) table.AddRow("[grey]left in float[/]", Markup.Escape($"{s.Name} ({s.OpType}): {s.Reason}"));
        Terminal.Out.Write(table);

        var worst = new Table().Border(TableBorder.Rounded).AddColumns("node", "weight", "shape", "bits", "group").AddColumn(new TableColumn("relative error").RightAligned())
            .AddColumn(new TableColumn("output error").RightAligned()).AddColumn("why these bits");
        worst.Title($"The {Math.Min(10, report.Layers.Count)} weights with the largest error");
        foreach (var l in report.Layers.OrderByDescending(l => l.RelativeError).Take(10))
        {
            worst.AddRow(Markup.Escape(l.Node), Markup.Escape(l.Weight), string.Join("x", l.Shape), l.Bits.ToString(), l.GroupSize.ToString(), $"{l.RelativeError:0.0000}",
                l.OutputError is double o ? $"{o:0.0000}" : "-", Markup.Escape(l.Reason));
        }

        Terminal.Out.Write(worst);
    }
}
