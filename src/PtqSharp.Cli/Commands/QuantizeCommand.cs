using System.CommandLine;
using PtqSharp.AccuracyControl;
using PtqSharp.Cli.Config;
using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Hardware;
using PtqSharp.Onnx;
using PtqSharp.Quantization;
using PtqSharp.Quantization.RangeEstimation;
using Spectre.Console;

namespace PtqSharp.Cli.Commands;

/// <summary><c>ptq quantize</c>: Default or Accuracy-aware Quantization from the command line or a POT-style config file.</summary>
internal static class QuantizeCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config", "-c") { Description = "POT-style JSON config (model, engine and compression sections); options given here override it." };
        var printConfig = new Option<bool>("--print-config") { Description = "Print the full effective configuration, defaults included, and exit." };
        var model = new Option<string>("--model", "-m") { Description = "FP32 or FP16 ONNX model to quantize (only read)." };
        var output = new Option<string>("--output", "-o") { Description = "Where to write the INT8 QDQ model." };
        var preset = new Option<string>("--preset") { Description = "performance, mixed or accuracy, mapped to what the target device allows.", DefaultValueFactory = _ => "performance" };
        var device = new Option<string>("--target-device") { Description = $"Quantization rules: {string.Join(", ", TargetDeviceNames.All)} (see ptq devices).", DefaultValueFactory = _ => "ANY" };
        var hardwareConfig = new Option<string?>("--hardware-config") { Description = "Your own device rules as JSON (the format of ptq devices --show NAME); replaces --target-device's." };
        var subset = new Option<int>("--subset-size") { Description = "Number of calibration samples.", DefaultValueFactory = _ => 300 };
        var batch = new Option<int>("--batch-size") { Description = "Samples per calibration inference (needs a dynamic batch dimension above 1).", DefaultValueFactory = _ => 1 };
        var seed = new Option<int>("--seed") { Description = "Seed of the calibration subset sampling.", DefaultValueFactory = _ => 0 };
        var ignoreNames = new Option<string[]>("--ignore-names") { Description = "Node names to keep in float.", AllowMultipleArgumentsPerToken = true };
        var ignorePatterns = new Option<string[]>("--ignore-patterns") { Description = "Regular expressions over node names to keep in float.", AllowMultipleArgumentsPerToken = true };
        var ignoreTypes = new Option<string[]>("--ignore-types") { Description = "Op types to keep in float.", AllowMultipleArgumentsPerToken = true };
        var overflow = new Option<string>("--overflow-fix") { Description = "first-layer, all or none: 7-bit weights where AVX2 u8s8 kernels (no VNNI) would saturate (CPU and ANY rules only).", DefaultValueFactory = _ => "first-layer" };
        var biasCorrection = new Option<string>("--bias-correction") { Description = "fast (POT's FastBiasCorrection: fold the mean output shift of weight rounding into biases), full (sequential BiasCorrection, one pass per layer on up to 100 samples) or none.", DefaultValueFactory = _ => "fast" };
        var activationRange = new Option<string>("--activation-range") { Description = "Activation range estimator: minmax, quantile, percentile, entropy (KL, 2,048 bins) or mse; all but minmax add a histogram pass.", DefaultValueFactory = _ => "minmax" };
        var weightRange = new Option<string>("--weight-range") { Description = "Weight range estimator, per channel: minmax, quantile, percentile or mse.", DefaultValueFactory = _ => "minmax" };
        var aggregator = new Option<string>("--aggregator") { Description = "How minmax combines per-sample ranges: mean, min, max, median, mean-no-outliers, median-no-outliers.", DefaultValueFactory = _ => "mean" };
        var outlierProb = new Option<double>("--outlier-prob") { Description = "Probability mass the quantile estimator clips at each end.", DefaultValueFactory = _ => 1e-4 };
        var percentile = new Option<double>("--percentile") { Description = "Percentage of values the percentile estimator keeps.", DefaultValueFactory = _ => 99.999 };
        var modelType = new Option<string?>("--model-type") { Description = "transformer: quantize only MatMul/Gemm, keep LayerNorm, Softmax and GELU in float, apply SmoothQuant." };
        var smoothQuant = new Option<float>("--smooth-quant-alpha") { Description = "SmoothQuant migration strength for --model-type transformer; 0 turns it off.", DefaultValueFactory = _ => 0.95f };
        var holdOut = new Option<int>("--hold-out") { Description = "Samples not used for calibration on which FP32 and INT8 outputs are compared.", DefaultValueFactory = _ => 100 };
        var validation = new Option<string?>("--validation") { Description = "Validation data: labeled images (one subfolder per class, or with --labels) for top-1/top-5; for agreement metrics, any images or NumPy samples." };
        var labels = new Option<string?>("--labels") { Description = "CSV of file,label for --validation images." };
        var layerReport = new Option<bool>("--report") { Description = "Also measure the SQNR of every quantized tensor against FP32 on held-out samples, print the worst and write name.layers.csv." };
        var data = new DataOptions();
        var accuracyOptions = new AccuracyOptions();

        var command = new Command("quantize", "Quantize an ONNX model to INT8: with unlabeled calibration data (Default Quantization), or within a metric drop on annotated validation data (--method accuracy-aware).")
        {
            config, printConfig, model, output, preset, device, hardwareConfig, subset, batch, seed, ignoreNames, ignorePatterns, ignoreTypes, overflow, biasCorrection, activationRange, weightRange, aggregator, outlierProb, percentile, modelType, smoothQuant, holdOut, validation, labels, layerReport,
        };
        foreach (var o in data.All.Concat(accuracyOptions.All)) command.Options.Add(o);

        command.SetAction(r => CommandRunner.Run(() =>
        {
            bool Given(Option o) => DataOptions.Given(r, o);
            var s = r.GetValue(config) is { } file ? PotConfig.Load(file, new QuantizeSettings()) : new QuantizeSettings();
            s = data.Apply(r, accuracyOptions.Apply(r, s));
            var q = s.Quantization;
            s = s with
            {
                Model = Given(model) ? r.GetValue(model) : s.Model,
                Output = Given(output) ? r.GetValue(output) : s.Output,
                Validation = Given(validation) ? r.GetValue(validation) : s.Validation,
                Labels = Given(labels) ? r.GetValue(labels) : s.Labels,
                HardwareConfig = Given(hardwareConfig) ? r.GetValue(hardwareConfig) : s.HardwareConfig,
                Quantization = q with
                {
                    Preset = Given(preset) ? DataOptions.ParseEnum<QuantizationPreset>(r.GetValue(preset)!, "--preset") : q.Preset,
                    TargetDevice = Given(device) ? TargetDeviceNames.Parse(r.GetValue(device)!, "--target-device") : q.TargetDevice,
                    SubsetSize = Given(subset) ? r.GetValue(subset) : q.SubsetSize,
                    BatchSize = Given(batch) ? r.GetValue(batch) : q.BatchSize,
                    Seed = Given(seed) ? r.GetValue(seed) : q.Seed,
                    OverflowFix = Given(overflow) ? DataOptions.ParseEnum<OverflowFix>(r.GetValue(overflow)!, "--overflow-fix") : q.OverflowFix,
                    HoldOutSize = Given(holdOut) ? r.GetValue(holdOut) : q.HoldOutSize,
                    ModelType = Given(modelType) ? QuantizeSettings.ParseModelType(r.GetValue(modelType), "--model-type") : q.ModelType,
                    SmoothQuantAlpha = Given(smoothQuant) ? r.GetValue(smoothQuant) : q.SmoothQuantAlpha,
                    ActivationRange = q.ActivationRange with
                    {
                        Kind = Given(activationRange) ? DataOptions.ParseEnum<RangeEstimatorKind>(r.GetValue(activationRange)!, "--activation-range") : q.ActivationRange.Kind,
                        Aggregator = Given(aggregator) ? DataOptions.ParseEnum<StatisticAggregator>(r.GetValue(aggregator)!, "--aggregator") : q.ActivationRange.Aggregator,
                        OutlierProb = Given(outlierProb) ? r.GetValue(outlierProb) : q.ActivationRange.OutlierProb,
                        Percentile = Given(percentile) ? r.GetValue(percentile) : q.ActivationRange.Percentile,
                    },
                    WeightRange = q.WeightRange with
                    {
                        Kind = Given(weightRange) ? DataOptions.ParseEnum<RangeEstimatorKind>(r.GetValue(weightRange)!, "--weight-range") : q.WeightRange.Kind,
                        OutlierProb = Given(outlierProb) ? r.GetValue(outlierProb) : q.WeightRange.OutlierProb,
                        Percentile = Given(percentile) ? r.GetValue(percentile) : q.WeightRange.Percentile,
                    },
                    BiasCorrection = Given(biasCorrection) ? DataOptions.ParseEnum<BiasCorrectionMode>(r.GetValue(biasCorrection)!, "--bias-correction") : q.BiasCorrection,
                    IgnoredScope = q.IgnoredScope with
                    {
                        Names = Given(ignoreNames) ? r.GetValue(ignoreNames) ?? [] : q.IgnoredScope.Names,
                        Patterns = Given(ignorePatterns) ? r.GetValue(ignorePatterns) ?? [] : q.IgnoredScope.Patterns,
                        Types = Given(ignoreTypes) ? r.GetValue(ignoreTypes) ?? [] : q.IgnoredScope.Types,
                    },
                },
            };

            if (r.GetValue(printConfig))
            {
                AnsiConsole.Profile.Out.Writer.WriteLine(PotConfig.ToJson(s));
                return ExitCodes.Success;
            }

            return Run(s, r.GetValue(layerReport));
        }));
        return command;
    }

    private static int Run(QuantizeSettings s, bool layerReport)
    {
        string modelPath = s.Model ?? throw new PtqException("No model: give --model, or model.model in the --config file.");
        string dataPath = s.Data ?? throw new PtqException("No calibration data: give --data, or engine.data_source in the --config file.");
        string outputPath = s.Output ?? throw new PtqException("No output path: give --output, or model.output in the --config file.");
        if (Path.GetFullPath(modelPath) == Path.GetFullPath(outputPath))
        {
            throw new PtqException($"--output '{outputPath}' is the input model; choose another path so the original is kept.");
        }

        var options = s.HardwareConfig is { } rulesPath ? s.Quantization with { HardwareConfig = HardwareConfig.Load(rulesPath) } : s.Quantization;
        var source = OnnxModel.Load(modelPath);
        var preprocessing = new Lazy<ImagePreprocessing>(() =>
        {
            try
            {
                return s.Preprocessing.ResolveFor(source);
            }
            catch (PtqException e)
            {
                throw new PtqException($"Model '{modelPath}': {e.Message}", e);
            }
        });
        var dataset = DataOptions.Open(dataPath, () => preprocessing.Value);
        if (s.AccuracyAware)
        {
            var folder = s.Validation ?? throw new PtqException("--method accuracy-aware needs --validation: annotated data to measure the metric on.");
            Dataset validationData = AccuracyOptions.NeedsLabels(s.Metric)
                ? DataOptions.OpenLabeled(folder, s.Labels, preprocessing.Value)
                : DataOptions.Open(folder, () => preprocessing.Value);
            AnsiConsole.MarkupLine($"Accuracy-aware quantization of [bold]{Markup.Escape(modelPath)}[/]: {s.Metric} on {validationData.Count} validation samples, max drop {s.Control.MaxDrop.ToString(System.Globalization.CultureInfo.InvariantCulture)} ({DataOptions.Kebab(s.Control.DropType.ToString())})");
            var controlled = SpectreProgress.Run(p => Quantizer.QuantizeWithAccuracyControl(source, dataset, validationData, AccuracyOptions.Create(s.Metric, validationData), s.Control, options, p));
            var written = controlled.SaveAll(outputPath);
            AccuracyReportPrinter.Print(controlled.Report, written);
            return controlled.Report.BoundMet ? ExitCodes.Success : ExitCodes.AccuracyNotMet;
        }

        LabeledDataset? validationSet = s.Validation is { } v ? DataOptions.OpenLabeled(v, s.Labels, preprocessing.Value) : null;
        AnsiConsole.MarkupLine($"Quantizing [bold]{Markup.Escape(modelPath)}[/] with {Math.Min(options.SubsetSize, dataset.Count)} of {dataset.Count} samples from [bold]{Markup.Escape(dataPath)}[/]");
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
        if (layerReport)
        {
            var held = result.Report.HoldOutSamples;
            var indices = held.Count > 0 ? held : Enumerable.Range(0, Math.Min(50, dataset.Count)).ToList();
            var layers = SpectreProgress.Run(p =>
            {
                p.Report(new($"Comparing tensors on {indices.Count} samples", 0, 1));
                return LayerErrorReport.Compute(source, result.Model, dataset, indices);
            });
            LayerReportPrinter.Print(layers, LayerReportPrinter.CsvPathBeside(outputPath));
        }

        return ExitCodes.Success;
    }
}
