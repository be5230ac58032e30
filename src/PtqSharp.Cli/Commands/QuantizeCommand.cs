using System.CommandLine;
using System.Globalization;
using PtqSharp.AccuracyControl;
using PtqSharp.Cli.Config;
using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Hardware;
using PtqSharp.Onnx;
using PtqSharp.Quantization;
using Spectre.Console;

namespace PtqSharp.Cli.Commands;

/// <summary><c>ptq quantize</c>: Default or Accuracy-aware Quantization from the command line or a POT-style config file.</summary>
internal static class QuantizeCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config", "-c") { Description = "POT-style JSON config (model, engine and compression sections); options given here override it." };
        var printConfig = new Option<bool>("--print-config") { Description = "Print the full effective configuration, defaults included, and exit." };
        var externalData = new Option<bool>("--external-data") { Description = "Write the weights to name.onnx.data beside the model (ONNX external data), as a pair with it." };
        var html = new Option<string?>("--html") { Description = "Also write a self-contained HTML report with charts: summary, per-layer SQNR and ranges, latency, and the accuracy-aware search." };
        var options = new BoundOptions(QuantizeOptions.All.Where(r => r.Flag is not null).Select(r => r.Flag!));
        var command = new Command("quantize", "Quantize an ONNX model to INT8: with unlabeled calibration data (Default Quantization), or within a metric drop on annotated validation data (--method accuracy-aware).")
        {
            config, printConfig, html, externalData,
        };
        options.AddTo(command);
        command.SetAction(r => CommandRunner.Run("quantize", () =>
        {
            var s = r.GetValue(config) is { } file ? PotConfig.Load(file, new QuantizeSettings()) : new QuantizeSettings();
            s = options.Apply(r, s);
            foreach (var warning in s.Warnings) Terminal.Warn(warning);
            if (r.GetValue(printConfig))
            {
                if (Terminal.Json) Terminal.Result(System.Text.Json.Nodes.JsonNode.Parse(PotConfig.ToJson(s))!);
                else AnsiConsole.Profile.Out.Writer.WriteLine(PotConfig.ToJson(s));
                return ExitCodes.Success;
            }

            return Run(s, r.GetValue(config), r.GetValue(html), r.GetValue(externalData));
        }));
        return command;
    }

    /// <summary>
    /// POT's weights and activations sections ask for quantizers; a requirement the target device's rules
    /// cannot meet is not honoured, with a warning, as every POT key PtqSharp cannot honour.
    /// </summary>
    private static QuantizationOptions WithinRules(QuantizationOptions options)
    {
        var rules = options.HardwareConfig ?? HardwareConfig.For(options.TargetDevice);
        QuantizerConstraints Fit(QuantizerConstraints c, IReadOnlyList<QuantizerConfig> allowed, string section)
        {
            if (c.IsEmpty || allowed.Any(c.Allows)) return c;
            var kept = new[] { c with { Bits = null }, c with { Mode = null }, c with { Granularity = null }, c with { NarrowRange = null } }.FirstOrDefault(x => allowed.Any(x.Allows))
                ?? QuantizerConstraints.None;
            Terminal.Warn($"params.{section} ({c}) is not fully honoured: the {rules.Name} rules allow {string.Join(" | ", allowed)}; kept: {(kept.IsEmpty ? "nothing" : kept.ToString())}.");
            return kept;
        }

        return options with
        {
            ActivationConstraints = Fit(options.ActivationConstraints, rules.Activations, "activations"),
            WeightConstraints = Fit(options.WeightConstraints, rules.Weights, "weights"),
        };
    }

    private static int Run(QuantizeSettings s, string? configPath, string? htmlPath, bool externalData)
    {
        string modelPath = s.Model ?? throw new PtqException("No model: give --model, or model.model in the --config file.");
        string dataPath = s.Data ?? throw new PtqException("No calibration data: give --data, or engine.data_source in the --config file.");
        string outputPath = s.Output ?? throw new PtqException("No output path: give --output, or model.output in the --config file.");
        var outputs = new List<(string, string)> { ("--output", outputPath) };
        if (!s.AccuracyAware) outputs.Add(OutputGuard.ExternalDataFileOf(outputPath));
        if (s.AccuracyAware) outputs.AddRange(AccuracyControlResult.PathsFor(outputPath, externalData: true).Skip(1).Select(p => ("the accuracy-aware companion file", p)));
        if (s.LayerReport) outputs.Add(("the --report CSV", LayerReportPrinter.CsvPathBeside(outputPath)));
        if (htmlPath is not null) outputs.Add(("--html", htmlPath));
        OutputGuard.Check(outputs, [("the --model", modelPath), ("the --data folder", dataPath), ("the --validation data", s.Validation),
            ("the --labels file", s.Labels), ("the --hardware-config file", s.HardwareConfig), ("the --config file", configPath)]);

        var options = s.HardwareConfig is { } rulesPath ? s.Quantization with { HardwareConfig = HardwareConfig.Load(rulesPath) } : s.Quantization;
        options = WithinRules(options);
        var source = OnnxModel.Load(modelPath);
        OutputGuard.Check(outputs, source.ExternalDataFiles.Select(f => ("the --model's external data", (string?)f)));
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
        var dataset = DataSources.Open(dataPath, () => preprocessing.Value);
        if (s.AccuracyAware)
        {
            var folder = s.Validation ?? throw new PtqException("--method accuracy-aware needs --validation: annotated data to measure the metric on.");
            var validationData = DataSources.OpenValidation(folder, s.Labels, s.Metric, () => preprocessing.Value);
            Terminal.Note($"Accuracy-aware quantization of [bold]{Markup.Escape(modelPath)}[/]: {s.Metric} on {validationData.Count} validation samples, max drop {s.Control.MaxDrop.ToString(CultureInfo.InvariantCulture)} ({DataSources.Name(s.Control.DropType)})");
            var controlled = SpectreProgress.Run(p => Quantizer.QuantizeWithAccuracyControl(source, dataset, validationData, DataSources.Metric(s.Metric, validationData), s.Control, options, p, CommandRunner.Cancellation));
            var written = controlled.SaveAll(outputPath, externalData);
            AccuracyControlPrinter.Print(controlled.Report, written);
            if (htmlPath is not null)
            {
                new HtmlReport($"Accuracy-aware quantization of {Path.GetFileName(modelPath)}").Add(controlled.Report).Save(htmlPath);
                Terminal.Note($"HTML report: [bold]{Markup.Escape(htmlPath)}[/]");
            }

            Terminal.Result(new AccuracyAwareResult(written, controlled.Report, htmlPath));
            return controlled.Report.BoundMet ? ExitCodes.Success : ExitCodes.AccuracyNotMet;
        }

        LabeledDataset? validationSet = s.Validation is { } v ? DataSources.OpenLabeled(v, s.Labels, () => preprocessing.Value) : null;
        Terminal.Note($"Quantizing [bold]{Markup.Escape(modelPath)}[/] with {Math.Min(options.SubsetSize, dataset.Count)} of {dataset.Count} samples from [bold]{Markup.Escape(dataPath)}[/]");
        var result = SpectreProgress.Run(p => Quantizer.Quantize(source, dataset, options, p, CommandRunner.Cancellation));
        result.Save(outputPath, externalData);
        OutputGuard.NoteExternalData(result.Model, outputPath, asked: externalData);

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
        LayerErrorReport? layerReport = null;
        if (s.LayerReport || htmlPath is not null)
        {
            var held = result.Report.HoldOutSamples;
            var indices = held.Count > 0 ? held : Enumerable.Range(0, Math.Min(50, dataset.Count)).ToList();
            var layers = SpectreProgress.Run(p =>
            {
                p.Report(new($"Comparing tensors on {indices.Count} samples", 0, 1));
                return LayerErrorReport.Compute(source, result.Model, dataset, indices);
            });
            if (s.LayerReport) LayerReportPrinter.Print(layers, LayerReportPrinter.CsvPathBeside(outputPath));
            layerReport = layers;
        }

        if (htmlPath is not null)
        {
            new HtmlReport($"Quantization of {Path.GetFileName(modelPath)}").Add(result.Report).Add(layerReport!).Save(htmlPath);
            Terminal.Note($"HTML report: [bold]{Markup.Escape(htmlPath)}[/]");
        }

        Terminal.Result(new QuantizeResult(outputPath, result.Report,
            accuracy is var (fp32, int8) ? new ValidationAccuracy("top1", validationSet!.Count, fp32, int8, fp32 - int8) : null,
            s.LayerReport ? LayerReportPrinter.CsvPathBeside(outputPath) : null, layerReport, htmlPath));

        return ExitCodes.Success;
    }
}
