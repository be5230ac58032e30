using System.CommandLine;
using PtqSharp.AccuracyControl;
using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Hardware;
using PtqSharp.Onnx;
using PtqSharp.Quantization;
using Spectre.Console;

namespace PtqSharp.Cli.Commands;

/// <summary><c>ptq quantize</c>: Default or Accuracy-aware Quantization from the command line.</summary>
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
        var validation = new Option<string?>("--validation") { Description = "Validation data: labeled images (one subfolder per class, or with --labels) for top-1/top-5; for agreement metrics, any images or NumPy samples." };
        var labels = new Option<string?>("--labels") { Description = "CSV of file,label for --validation images." };
        var data = new DataOptions();
        var accuracyOptions = new AccuracyOptions();

        var command = new Command("quantize", "Quantize an ONNX model to INT8: with unlabeled calibration data (Default Quantization), or within a metric drop on annotated validation data (--method accuracy-aware).")
        {
            model, output, preset, device, subset, batch, seed, ignoreNames, ignorePatterns, ignoreTypes, overflow, holdOut, validation, labels,
        };
        foreach (var o in data.All.Concat(accuracyOptions.All)) command.Options.Add(o);

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
            if (accuracyOptions.IsAccuracyAware(r))
            {
                var metric = accuracyOptions.MetricName(r);
                var control = accuracyOptions.Options(r);
                var folder = r.GetValue(validation) ?? throw new PtqException("--method accuracy-aware needs --validation: annotated data to measure the metric on.");
                Dataset validationData = AccuracyOptions.NeedsLabels(metric)
                    ? OpenLabeled(folder, r.GetValue(labels), preprocessing.Value)
                    : DataOptions.Open(folder, () => preprocessing.Value);
                AnsiConsole.MarkupLine($"Accuracy-aware quantization of [bold]{Markup.Escape(modelPath)}[/]: {metric} on {validationData.Count} validation samples, max drop {control.MaxDrop.ToString(System.Globalization.CultureInfo.InvariantCulture)} ({DataOptions.Kebab(control.DropType.ToString())})");
                var controlled = SpectreProgress.Run(p => AccuracyAwareQuantizer.Quantize(source, dataset, validationData, AccuracyOptions.Create(metric, validationData), control, options, p));
                var written = controlled.SaveAll(outputPath);
                AccuracyReportPrinter.Print(controlled.Report, written);
                return controlled.Report.BoundMet ? ExitCodes.Success : ExitCodes.AccuracyNotMet;
            }

            LabeledDataset? validationSet = r.GetValue(validation) is { } v ? OpenLabeled(v, r.GetValue(labels), preprocessing.Value) : null;

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

    private static LabeledDataset OpenLabeled(string folder, string? labelsCsv, ImagePreprocessing preprocessing) =>
        labelsCsv is not null ? ImageFolderDataset.WithLabelsCsv(folder, labelsCsv, preprocessing) : ImageFolderDataset.ByClassFolder(folder, preprocessing);
}
