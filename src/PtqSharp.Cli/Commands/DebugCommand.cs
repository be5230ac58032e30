using System.CommandLine;
using PtqSharp.Cli.Config;
using PtqSharp.Evaluation;
using PtqSharp.Onnx;

namespace PtqSharp.Cli.Commands;

/// <summary><c>ptq debug</c>: per-tensor SQNR of a quantized model against its float original.</summary>
internal static class DebugCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "The float (FP32/FP16) original.", Required = true };
        var quantized = new Option<string>("--quantized", "-q") { Description = "The QDQ model made from it.", Required = true };
        var samples = new Option<int>("--samples") { Description = "Samples to compare on.", DefaultValueFactory = _ => 50 };
        var csv = new Option<string?>("--csv") { Description = "Where to write the full report (default: beside --quantized, name.layers.csv)." };
        var html = new Option<string?>("--html") { Description = "Also write a self-contained HTML report: SQNR of the worst tensors and their FP32 and INT8 ranges." };
        var data = new BoundOptions(QuantizeOptions.DataFlags, new Dictionary<string, string> { ["--data"] = "Samples to compare on: images or NumPy files." });
        var command = new Command("debug", "Show which layers quantization hurts: SQNR of every quantized tensor against the float model.") { model, quantized, samples, csv, html };
        data.AddTo(command);
        command.SetAction(r => CommandRunner.Run("debug", () =>
        {
            var original = OnnxModel.Load(r.GetValue(model)!);
            var qdq = OnnxModel.Load(r.GetValue(quantized)!);
            var settings = data.Apply(r, DataSources.RecordedPreprocessing(qdq, null));
            var folder = settings.Data ?? throw new PtqException("--data is required: samples to compare the two models on.");
            var csvPath = r.GetValue(csv) ?? LayerReportPrinter.CsvPathBeside(r.GetValue(quantized)!);
            var htmlPath = r.GetValue(html);
            OutputGuard.Check([("--csv", csvPath), .. htmlPath is null ? Array.Empty<(string, string)>() : [("--html", htmlPath)]], [("the --model", r.GetValue(model)), ("the --quantized model", r.GetValue(quantized)), ("the --data folder", folder)]);
            var dataset = DataSources.Open(folder, () => settings.Preprocessing.ResolveFor(original));
            DataSources.WarnIfOutOfRange(dataset, qdq, null);
            int count = Math.Min(Math.Max(1, r.GetValue(samples)), dataset.Count);
            var report = SpectreProgress.Run(p =>
            {
                p.Report(new($"Comparing tensors on {count} samples", 0, 1));
                return LayerErrorReport.Compute(original, qdq, dataset, Enumerable.Range(0, count).ToList());
            });
            LayerReportPrinter.Print(report, csvPath);
            if (htmlPath is not null)
            {
                new HtmlReport($"{Path.GetFileName(r.GetValue(quantized))} against {Path.GetFileName(r.GetValue(model))}").Add(report).Save(htmlPath);
                Terminal.Note($"HTML report: [bold]{Spectre.Console.Markup.Escape(htmlPath)}[/]");
            }

            Terminal.Result(new DebugResult(csvPath, report, htmlPath));
            return ExitCodes.Success;
        }));
        return command;
    }
}
