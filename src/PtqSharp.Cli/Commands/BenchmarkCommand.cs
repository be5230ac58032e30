using System.CommandLine;
using System.Globalization;
using PtqSharp.Cli.Config;
using PtqSharp.Data;
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
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads per inference; 0 for all cores.", DefaultValueFactory = _ => 0 };
        var batch = new Option<int>("--batch-size") { Description = "Samples per inference.", DefaultValueFactory = _ => 1 };
        var runs = new Option<int>("--runs") { Description = "Timed rounds.", DefaultValueFactory = _ => 100 };
        var time = new Option<double?>("--time", "-t") { Description = "Time-bounded mode: timed rounds for this many seconds instead of --runs." };
        var warmup = new Option<int>("--warmup") { Description = "Untimed rounds first.", DefaultValueFactory = _ => 10 };
        var concurrency = new Option<int>("--concurrency") { Description = "Inferences in flight at once, each on its own session and thread: throughput under load.", DefaultValueFactory = _ => 1 };
        var profile = new Option<int>("--profile") { Description = "Also list each model's N slowest ops from ONNX Runtime's profiler (median kernel time).", DefaultValueFactory = _ => 0 };
        var html = new Option<string?>("--html") { Description = "Also write a self-contained HTML report: latency side by side and the slowest ops." };
        var shapes = new Option<string[]>("--shape") { Description = "Full shape of an input with dynamic dimensions besides the batch, e.g. input_ids=1x128.", AllowMultipleArgumentsPerToken = true };
        var data = new BoundOptions(QuantizeOptions.DataFlags, new Dictionary<string, string>
        {
            ["--data"] = "Time on a real input: the first sample of this folder (images or NumPy), instead of synthetic inputs.",
        });
        var command = new Command("benchmark", "Measure latency (median, p90) and throughput on synthetic or real inputs; with --compare, two models side by side, interleaved.")
        {
            model, compare, threads, batch, runs, time, warmup, concurrency, profile, shapes, html,
        };
        data.AddTo(command);
        command.SetAction(r => CommandRunner.Run("benchmark", () =>
        {
            var options = new BenchmarkOptions
            {
                Threads = r.GetValue(threads),
                BatchSize = r.GetValue(batch),
                Runs = r.GetValue(runs),
                Duration = r.GetValue(time) is double seconds ? TimeSpan.FromSeconds(Math.Min(seconds, 86_400)) : null,
                Warmup = r.GetValue(warmup),
                Concurrency = r.GetValue(concurrency),
                Shapes = ParseShapes(r.GetValue(shapes) ?? []),
            };
            var paths = new[] { r.GetValue(compare), r.GetValue(model) }.OfType<string>().ToList();
            var htmlPath = r.GetValue(html);
            var models = paths.Select(OnnxModel.Load).ToList();
            var settings = data.Apply(r, DataSources.RecordedPreprocessing(models[^1], models.Count > 1 ? models[0] : null));
            if (htmlPath is not null) OutputGuard.Check([("--html", htmlPath)], [.. paths.Select(p => ("a model", (string?)p)), ("the --data folder", settings.Data)]);
            Sample? sample = null;
            if (settings.Data is { } folder)
            {
                var dataset = DataSources.Open(folder, () => settings.Preprocessing.ResolveFor(models[^1]));
                sample = dataset.Get(0);
                DataSources.WarnIfOutOfRange(dataset, models[^1], models.Count > 1 ? models[0] : null);
            }

            var results = SpectreProgress.Run(p =>
            {
                p.Report(new($"Timing {string.Join(" and ", paths.Select(Path.GetFileName))}{(paths.Count > 1 ? ", interleaved" : "")}", 0, 1));
                return LatencyBenchmark.Compare(models, options, sample);
            });
            var profiles = r.GetValue(profile) is > 0 and var top
                ? SpectreProgress.Run(p => models.Select((m, i) =>
                {
                    p.Report(new($"Profiling {Path.GetFileName(paths[i])}", i, models.Count));
                    return LatencyBenchmark.ProfileOps(m, options, sample).Take(top).ToList();
                }).ToList())
                : null;

            var table = new Table().Border(TableBorder.Rounded).AddColumn("");
            foreach (var path in paths) table.AddColumn(new TableColumn(Markup.Escape(Path.GetFileName(path))).RightAligned());
            if (paths.Count == 2) table.AddColumn(new TableColumn($"{Markup.Escape(Path.GetFileName(paths[1]))} / {Markup.Escape(Path.GetFileName(paths[0]))}").RightAligned());
            void Row(string name, Func<LatencyResult, double> value, Func<double, string> format)
            {
                var cells = results.Select(x => format(value(x))).ToList();
                if (results.Count == 2) cells.Add($"{value(results[1]) / value(results[0]):0.00}x");
                table.AddRow([name, .. cells]);
            }

            Row("size", x => x.SizeBytes, v => ByteSize.Format((long)v));
            Row("latency, median", x => x.MedianMs, v => $"{v:0.000} ms");
            Row("latency, p90", x => x.P90Ms, v => $"{v:0.000} ms");
            Row("throughput (from the median)", x => x.SamplesPerSecond, v => $"{v:0.0} samples/s");
            var input = sample is null ? "synthetic input" : $"input {Path.GetFileName(sample.Source)}";
            var rounds = options.Duration is { } d ? $"{results[0].Runs / options.Concurrency} rounds in {d.TotalSeconds:0.#} s" : $"{options.Runs} rounds";
            table.Caption(Markup.Escape($"batch {options.BatchSize}, {(options.Threads == 0 ? "all cores" : $"{options.Threads} thread(s)")} per inference, " +
                $"{(options.Concurrency > 1 ? $"{options.Concurrency} inferences in flight, " : "")}{rounds} after {options.Warmup} warm-up{(paths.Count > 1 ? ", interleaved" : "")}, {input}, {Environment.ProcessorCount} cores"));
            Terminal.Out.Write(table);
            if (profiles is not null)
            {
                for (int i = 0; i < models.Count; i++)
                {
                    var ops = new Table().Border(TableBorder.Rounded).AddColumns("node", "op type").AddColumn(new TableColumn("median").RightAligned()).AddColumn(new TableColumn("share").RightAligned());
                    ops.Title(Markup.Escape($"{Path.GetFileName(paths[i])}: slowest ops (ONNX Runtime profiler)"));
                    foreach (var op in profiles[i]) ops.AddRow(Markup.Escape(op.Name), Markup.Escape(op.OpType), $"{op.Microseconds:0.0} us", $"{op.Share:P1}");
                    Terminal.Out.Write(ops);
                }
            }

            if (htmlPath is not null)
            {
                new HtmlReport($"Latency of {string.Join(" and ", paths.Select(Path.GetFileName))}").AddLatency(paths.Zip(results, (p, x) => (Path.GetFileName(p), x)).ToList(), profiles).Save(htmlPath);
                Terminal.Note($"HTML report: [bold]{Markup.Escape(htmlPath)}[/]");
            }

            Terminal.Result(new BenchmarkResult(
                paths.Zip(results, (path, x) => new BenchmarkedModel(path, x.SizeBytes, x.MedianMs, x.P90Ms, x.SamplesPerSecond, x.Runs)).ToList(),
                results.Count == 2 ? results[1].MedianMs / results[0].MedianMs : null,
                options.BatchSize, options.Threads, options.Concurrency, options.Duration?.TotalSeconds, options.Warmup, sample?.Source ?? "synthetic", Environment.ProcessorCount, profiles, htmlPath));
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
