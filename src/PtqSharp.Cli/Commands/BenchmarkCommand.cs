using System.CommandLine;
using System.Globalization;
using PtqSharp.Evaluation;
using PtqSharp.Onnx;
using Spectre.Console;

namespace PtqSharp.Cli.Commands;

/// <summary><c>ptq benchmark</c>: latency and throughput of a model, or of an INT8 / FP32 pair side by side.</summary>
internal static class BenchmarkCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "ONNX model to time.", Required = true };
        var compare = new Option<string?>("--compare") { Description = "A second model (e.g. the FP32 original) to time the same way, side by side." };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads; 0 for all cores.", DefaultValueFactory = _ => 0 };
        var batch = new Option<int>("--batch-size") { Description = "Samples per inference.", DefaultValueFactory = _ => 1 };
        var runs = new Option<int>("--runs") { Description = "Timed inferences.", DefaultValueFactory = _ => 100 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed inferences first.", DefaultValueFactory = _ => 10 };
        var shapes = new Option<string[]>("--shape") { Description = "Full shape of an input with dynamic dimensions besides the batch, e.g. input_ids=1x128.", AllowMultipleArgumentsPerToken = true };
        var command = new Command("benchmark", "Measure latency (median, p90) and throughput on synthetic inputs; with --compare, two models side by side.")
        {
            model, compare, threads, batch, runs, warmup, shapes,
        };
        command.SetAction(r => CommandRunner.Run("benchmark", () =>
        {
            var options = new BenchmarkOptions
            {
                Threads = r.GetValue(threads),
                BatchSize = r.GetValue(batch),
                Runs = r.GetValue(runs),
                Warmup = r.GetValue(warmup),
                Shapes = ParseShapes(r.GetValue(shapes) ?? []),
            };
            var paths = new[] { r.GetValue(compare), r.GetValue(model) }.OfType<string>().ToList();
            var models = paths.Select(OnnxModel.Load).ToList();
            var results = SpectreProgress.Run(p =>
            {
                p.Report(new($"Timing {string.Join(" and ", paths.Select(Path.GetFileName))}, interleaved", 0, 1));
                return LatencyBenchmark.Compare(models, options);
            });

            var table = new Table().Border(TableBorder.Rounded).AddColumn("");
            foreach (var path in paths) table.AddColumn(new TableColumn(Markup.Escape(Path.GetFileName(path))).RightAligned());
            if (paths.Count == 2) table.AddColumn(new TableColumn($"{Markup.Escape(Path.GetFileName(paths[1]))} / {Markup.Escape(Path.GetFileName(paths[0]))}").RightAligned());
            void Row(string name, Func<LatencyResult, double> value, Func<double, string> format)
            {
                var cells = results.Select(x => format(value(x))).ToList();
                if (results.Count == 2) cells.Add($"{value(results[1]) / value(results[0]):0.00}x");
                table.AddRow([name, .. cells]);
            }

            Row("size", x => x.SizeBytes, v => SummaryPrinter.Size((long)v));
            Row("latency, median", x => x.MedianMs, v => $"{v:0.000} ms");
            Row("latency, p90", x => x.P90Ms, v => $"{v:0.000} ms");
            Row("throughput", x => x.SamplesPerSecond, v => $"{v:0.0} samples/s");
            table.Caption($"batch {options.BatchSize}, {(options.Threads == 0 ? "all cores" : $"{options.Threads} thread(s)")}, {options.Runs} runs after {options.Warmup} warm-up{(paths.Count > 1 ? ", interleaved" : "")}, {Environment.ProcessorCount} cores");
            Terminal.Out.Write(table);
            Terminal.Result(new BenchmarkResult(
                paths.Zip(results, (path, x) => new BenchmarkedModel(path, x.SizeBytes, x.MedianMs, x.P90Ms, x.SamplesPerSecond)).ToList(),
                results.Count == 2 ? results[1].MedianMs / results[0].MedianMs : null,
                options.BatchSize, options.Threads, options.Runs, options.Warmup, Environment.ProcessorCount));
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Dictionary<string, long[]> ParseShapes(string[] specs)
    {
        var result = new Dictionary<string, long[]>();
        foreach (var spec in specs)
        {
            var parts = spec.Split('=', 2);
            var dims = parts.Length == 2 ? parts[1].Split('x', 'X') : [];
            if (parts.Length != 2 || parts[0].Length == 0 || dims.Length == 0 || !dims.All(d => long.TryParse(d, CultureInfo.InvariantCulture, out var v) && v > 0))
            {
                throw new PtqException($"--shape '{spec}' is not name=DxDx... with positive sizes, e.g. input_ids=1x128.");
            }

            result[parts[0]] = dims.Select(d => long.Parse(d, CultureInfo.InvariantCulture)).ToArray();
        }

        return result;
    }
}
