using System.CommandLine;
using PtqSharp.Cli.Config;
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
        var options = new BoundOptions([.. QuantizeOptions.DataFlags, "--labels", "--metric"], new Dictionary<string, string>
        {
            ["--data"] = "Validation data: for top-1/top-5, images in one subfolder per class, or images or NumPy samples with --labels; for agreement metrics any images or NumPy samples.",
            ["--labels"] = "CSV of file,label (0-based class) for the --data images or NumPy samples (images otherwise take the class of their subfolder).",
            ["--metric"] = "top1, top5 (labeled data), top1-agreement (per position for sequence outputs) or cosine (agreement with --compare).",
        });
        var command = new Command("evaluate", "Score a model on validation data (top-1, top-5, or agreement with a reference model).") { model, compare };
        options.AddTo(command);
        command.SetAction(r => CommandRunner.Run("evaluate", () =>
        {
            var candidate = OnnxModel.Load(r.GetValue(model)!);
            var reference = r.GetValue(compare) is { } c ? OnnxModel.Load(c) : null;
            var settings = options.Apply(r, DataSources.RecordedPreprocessing(candidate, reference));
            var name = settings.Metric;
            var folder = settings.Data ?? throw new PtqException("--data is required: the validation data to score on.");
            bool labeled = QuantizeSettings.NeedsLabels(name);
            if (!labeled && reference is null)
            {
                throw new PtqException($"--metric {name} measures agreement with a reference model; give it with --compare.");
            }

            var dataset = DataSources.OpenValidation(folder, settings.Labels, name, () => settings.Preprocessing.ResolveFor(candidate));
            DataSources.WarnIfOutOfRange(dataset, candidate, reference);
            var scorer = DataSources.Metric(name, dataset);
            var (score, referenceScore) = SpectreProgress.Run(p =>
            {
                double? refScore = reference is null || !labeled ? null
                    : ModelComparison.Score(reference, dataset, scorer, progress: new Progress<int>(i => p.Report(new($"Scoring {Path.GetFileName(r.GetValue(compare))}", i, dataset.Count))));
                double s = ModelComparison.Score(candidate, dataset, scorer, reference, new Progress<int>(i => p.Report(new($"Scoring {Path.GetFileName(r.GetValue(model))}", i, dataset.Count))));
                return (s, refScore);
            });

            var table = new Table().Border(TableBorder.Rounded).AddColumns("model", name);
            if (reference is not null && referenceScore is double rs) table.AddRow(Markup.Escape(r.GetValue(compare)!), $"{rs:0.0000}");
            table.AddRow(Markup.Escape(r.GetValue(model)!), $"{score:0.0000}");
            if (referenceScore is double b) table.Caption($"drop {b - score:0.0000} ({(b - score) * 100:0.00} points) on {dataset.Count} samples");
            else table.Caption($"{dataset.Count} samples{(reference is null ? "" : $", against {Markup.Escape(r.GetValue(compare)!)}")}");
            Terminal.Out.Write(table);
            Terminal.Result(new EvaluateResult(name, dataset.Count, r.GetValue(model)!, score, r.GetValue(compare), referenceScore, referenceScore is double d ? d - score : null));
            return ExitCodes.Success;
        }));
        return command;
    }
}
