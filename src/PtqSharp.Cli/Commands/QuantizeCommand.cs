using System.CommandLine;
using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Hardware;
using PtqSharp.Onnx;
using PtqSharp.Quantization;
using Spectre.Console;

namespace PtqSharp.Cli.Commands;

/// <summary><c>ptq quantize</c>: Default Quantization from the command line.</summary>
internal static class QuantizeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "FP32 or FP16 ONNX model to quantize (only read).", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Where to write the INT8 QDQ model.", Required = true };
        var preset = new Option<string>("--preset") { Description = "performance (symmetric activations) or mixed (asymmetric activations).", DefaultValueFactory = _ => "performance" };
        var device = new Option<string>("--target-device") { Description = "Quantization rules: ANY (portable) or CPU.", DefaultValueFactory = _ => "ANY" };
        var subset = new Option<int>("--subset-size") { Description = "Number of calibration samples.", DefaultValueFactory = _ => 300 };
        var batch = new Option<int>("--batch-size") { Description = "Samples per calibration inference (needs a dynamic batch dimension above 1).", DefaultValueFactory = _ => 1 };
        var seed = new Option<int>("--seed") { Description = "Seed of the calibration subset sampling.", DefaultValueFactory = _ => 0 };
        var ignoreNames = new Option<string[]>("--ignore-names") { Description = "Node names to keep in float.", AllowMultipleArgumentsPerToken = true };
        var ignorePatterns = new Option<string[]>("--ignore-patterns") { Description = "Regular expressions over node names to keep in float.", AllowMultipleArgumentsPerToken = true };
        var ignoreTypes = new Option<string[]>("--ignore-types") { Description = "Op types to keep in float.", AllowMultipleArgumentsPerToken = true };
        var overflow = new Option<string>("--overflow-fix") { Description = "first-layer, all or none: 7-bit weights where AVX2 u8s8 kernels (no VNNI) would saturate.", DefaultValueFactory = _ => "first-layer" };
        var holdOut = new Option<int>("--hold-out") { Description = "Samples not used for calibration on which FP32 and INT8 outputs are compared.", DefaultValueFactory = _ => 100 };
        var validation = new Option<string?>("--validation") { Description = "Labeled images (one subfolder per class, or with --labels) to report FP32 vs INT8 top-1 accuracy." };
        var labels = new Option<string?>("--labels") { Description = "CSV of file,label for --validation images." };
        var data = new DataOptions();

        var command = new Command("quantize", "Quantize an ONNX model to INT8 with unlabeled calibration data (Default Quantization).")
        {
            model, output, preset, device, subset, batch, seed, ignoreNames, ignorePatterns, ignoreTypes, overflow, holdOut, validation, labels,
        };
        foreach (var o in data.All) command.Options.Add(o);

        command.SetAction(r => CommandRunner.Run(() =>
        {
            string modelPath = r.GetValue(model)!, outputPath = r.GetValue(output)!;
            if (Path.GetFullPath(modelPath) == Path.GetFullPath(outputPath))
            {
                throw new PtqException($"--output '{outputPath}' is the input model; choose another path so the original is kept.");
            }

            var options = new QuantizationOptions
            {
                Preset = DataOptions.ParseEnum<QuantizationPreset>(r.GetValue(preset)!, "--preset"),
                TargetDevice = DataOptions.ParseEnum<TargetDevice>(r.GetValue(device)!, "--target-device"),
                SubsetSize = r.GetValue(subset),
                BatchSize = r.GetValue(batch),
                Seed = r.GetValue(seed),
                OverflowFix = DataOptions.ParseEnum<OverflowFix>(r.GetValue(overflow)!, "--overflow-fix"),
                HoldOutSize = r.GetValue(holdOut),
                IgnoredScope = new IgnoredScope
                {
                    Names = r.GetValue(ignoreNames) ?? [],
                    Patterns = r.GetValue(ignorePatterns) ?? [],
                    Types = r.GetValue(ignoreTypes) ?? [],
                },
            };

            var source = OnnxModelIO.Load(modelPath);
            var preprocessing = new Lazy<ImagePreprocessing>(() =>
            {
                try
                {
                    return data.Preprocessing(r).ResolveFor(source);
                }
                catch (PtqException e)
                {
                    throw new PtqException($"Model '{modelPath}': {e.Message}", e);
                }
            });
            var dataset = DataOptions.Open(r.GetValue(data.Data)!, () => preprocessing.Value);
            LabeledDataset? validationSet = r.GetValue(validation) is { } v
                ? (r.GetValue(labels) is { } csv
                    ? ImageFolderDataset.WithLabelsCsv(v, csv, preprocessing.Value)
                    : ImageFolderDataset.ByClassFolder(v, preprocessing.Value))
                : null;

            AnsiConsole.MarkupLine($"Quantizing [bold]{Markup.Escape(modelPath)}[/] with {Math.Min(options.SubsetSize, dataset.Count)} of {dataset.Count} samples from [bold]{Markup.Escape(r.GetValue(data.Data)!)}[/]");
            var result = SpectreProgress.Run(p => Quantizer.Quantize(source, dataset, options, p));
            result.Save(outputPath);

            (double Fp32, double Int8)? accuracy = null;
            if (validationSet is not null)
            {
                accuracy = SpectreProgress.Run(p =>
                {
                    var total = validationSet.Count;
                    double fp32 = ModelComparison.Top1(source, validationSet, new Progress<int>(i => p.Report(new("Validating FP32", i, total))));
                    double int8 = ModelComparison.Top1(result.Model, validationSet, new Progress<int>(i => p.Report(new("Validating INT8", i, total))));
                    return (fp32, int8);
                });
            }

            SummaryPrinter.Print(result.Report, outputPath, accuracy, validationSet?.Count ?? 0);
            return ExitCodes.Success;
        }));
        return command;
    }
}
