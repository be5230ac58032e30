using System.CommandLine;
using PtqSharp.Cli.Config;
using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Onnx;
using Spectre.Console;

namespace PtqSharp.Cli.Commands;

/// <summary><c>ptq evaluate</c>: a task metric on labeled data for one model, or a pair with the drop between them.</summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "ONNX model to evaluate.", Required = true };
        var compare = new Option<string?>("--compare") { Description = "A reference model (e.g. the FP32 original): both are scored, and agreement metrics compare with it." };
        var labels = new Option<string?>("--labels") { Description = "CSV of file,label for the --data images (otherwise one subfolder per class)." };
        var metric = new Option<string>("--metric") { Description = "top1, top5 (labeled data), top1-agreement or cosine (agreement with --compare).", DefaultValueFactory = _ => "top1" };
        var data = new DataOptions("Validation data: labeled images (one subfolder per class, or --labels); for agreement metrics any images or NumPy samples.");
        var command = new Command("evaluate", "Score a model on validation data (top-1, top-5, or agreement with a reference model).") { model, compare, labels, metric };
        foreach (var o in data.All) command.Options.Add(o);
        command.SetAction(r => CommandRunner.Run(() =>
        {
            var name = QuantizeSettings.CheckMetric(r.GetValue(metric)!, "--metric");
            var settings = data.Apply(r, new QuantizeSettings());
            var folder = settings.Data ?? throw new PtqException("--data is required: the validation data to score on.");
            var candidate = OnnxModel.Load(r.GetValue(model)!);
            var reference = r.GetValue(compare) is { } c ? OnnxModel.Load(c) : null;
            if (!AccuracyOptions.NeedsLabels(name) && reference is null)
            {
                throw new PtqException($"--metric {name} measures agreement with a reference model; give it with --compare.");
            }

            var preprocessing = new Lazy<ImagePreprocessing>(() => settings.Preprocessing.ResolveFor(candidate));
            Dataset dataset = AccuracyOptions.NeedsLabels(name)
                ? DataOptions.OpenLabeled(folder, r.GetValue(labels), preprocessing.Value)
                : DataOptions.Open(folder, () => preprocessing.Value);
            var scorer = AccuracyOptions.Create(name, dataset);
            var (score, referenceScore) = SpectreProgress.Run(p =>
            {
                double? refScore = reference is null || !AccuracyOptions.NeedsLabels(name) ? null
                    : ModelComparison.Score(reference, dataset, scorer, progress: new Progress<int>(i => p.Report(new($"Scoring {Path.GetFileName(r.GetValue(compare))}", i, dataset.Count))));
                double s = ModelComparison.Score(candidate, dataset, scorer, reference, new Progress<int>(i => p.Report(new($"Scoring {Path.GetFileName(r.GetValue(model))}", i, dataset.Count))));
                return (s, refScore);
            });

            var table = new Table().Border(TableBorder.Rounded).AddColumns("model", name);
            if (reference is not null && referenceScore is double rs) table.AddRow(Markup.Escape(r.GetValue(compare)!), $"{rs:0.0000}");
            table.AddRow(Markup.Escape(r.GetValue(model)!), $"{score:0.0000}");
            if (referenceScore is double b) table.Caption($"drop {b - score:0.0000} ({(b - score) * 100:0.00} points) on {dataset.Count} samples");
            else table.Caption($"{dataset.Count} samples{(reference is null ? "" : $", against {Markup.Escape(r.GetValue(compare)!)}")}");
            AnsiConsole.Write(table);
            return ExitCodes.Success;
        }));
        return command;
    }
}
