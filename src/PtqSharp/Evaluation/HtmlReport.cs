using System.Globalization;
using System.Text;
using PtqSharp.AccuracyControl;
using PtqSharp.Quantization;
using static PtqSharp.Evaluation.SvgCharts;

namespace PtqSharp.Evaluation;

/// <summary>
/// One self-contained HTML page (inline SVG charts, no script, no external file) of what a run found: the
/// quantization summary, per-layer SQNR with the worst layers named and their FP32 and INT8 ranges, accuracy
/// control's drop per iteration and what it reverted, latency FP32 vs INT8 and what was kept in float for speed.
/// Add the parts a run has, then <see cref="Save"/>.
/// </summary>
public sealed class HtmlReport
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;
    private readonly string _title;
    private readonly StringBuilder _body = new();

    /// <param name="title">The page's title, e.g. the model's name.</param>
    public HtmlReport(string title) => _title = title;

    /// <summary>The summary of Default Quantization and, when it ran, latency-aware quantization's measurements.</summary>
    /// <param name="report">The run's report.</param>
    public HtmlReport Add(QuantizationReport report)
    {
        Section("Quantization");
        Facts(
        [
            ("Target device / preset", $"{report.TargetDevice} / {Kebab(report.Preset)}{(report.EffectivePreset != report.Preset ? $" (as {Kebab(report.EffectivePreset)})" : "")}"),
            ("Precision", report.Precision.ToString()),
            ("Ops quantized", $"{report.QuantizedOps} of {report.QuantizableOps} ({string.Join(", ", report.OpTypes.Select(o => $"{o.OpType} {o.Quantized}/{o.Total}"))})"),
            ("Integer kernels in ONNX Runtime", report.Kernels.IntegerKernelCount == 0 ? "none" : string.Join(", ", report.Kernels.IntegerKernelCounts.Select(kv => $"{kv.Key} {kv.Value}"))),
            ("Size", $"{ByteSize.Format(report.SizeBefore)} → {ByteSize.Format(report.SizeAfter)} ({(double)report.SizeBefore / Math.Max(1, report.SizeAfter):0.0}x smaller)"),
            ("FP32 vs INT8", report.HoldOutAgreement is { } a ? $"mean cosine {a.MeanCosine:0.0000} (min {a.MinCosine:0.0000}), SQNR {a.SqnrDb:0.0} dB on {a.Samples} held-out samples" : "no held-out samples"),
            ("Time", $"{report.TotalTime.TotalSeconds:0.0} s (calibration {report.CalibrationTime.TotalSeconds:0.0} s, {report.CalibrationSamples.Count} samples)"),
        ]);
        if (report.Latency is { } latency)
        {
            Section("Latency, FP32 vs INT8");
            Paragraph($"Median of {latency.RunsMeasured} interleaved with FP32 on one calibration sample, {(latency.Threads == 0 ? $"all {latency.Cores} cores" : $"{latency.Threads} of {latency.Cores} cores")}, margin {latency.Margin:P0}: the written model runs at {latency.Ratio:0.00}x of FP32 ({Kebab(latency.Outcome)}).");
            _body.Append(Bars(
            [
                ("FP32", latency.FinalFp32Ms, SvgCharts.Float),
                ("INT8, written model", latency.FinalMs, latency.Ratio < 1 ? Good : Bad),
                ("INT8, every op quantized", latency.FullyQuantizedMs, Muted),
            ], v => $"{v:0.000} ms"));
            if (latency.Regions.Count > 0)
            {
                Paragraph($"Kept in float for speed: {latency.OpsInFloat} ops in {latency.Regions.Count} region(s); profiled time of each region in INT8 (with the Q/DQ at its borders) and in float:");
                _body.Append(Bars(latency.Regions.Take(20).SelectMany(r => new[]
                {
                    ($"{Region(r.Ops)}, INT8", r.Int8Microseconds + r.BorderMicroseconds, Integer),
                    ($"{Region(r.Ops)}, float", r.FloatMicroseconds, SvgCharts.Float),
                }).ToList(), v => $"{v:0} µs"));
            }
        }

        return this;
    }

    /// <summary>Per-layer SQNR, the worst layers named, and the FP32 and INT8 ranges of the worst.</summary>
    /// <param name="layers">A per-tensor comparison of the INT8 model with FP32.</param>
    /// <param name="worst">How many of the worst tensors to chart.</param>
    public HtmlReport Add(LayerErrorReport layers, int worst = 20)
    {
        Section("Which layers quantization hurts");
        var rows = layers.Worst(worst).ToList();
        Paragraph($"SQNR of the {rows.Count} worst of {layers.Tensors.Count} quantized tensors against FP32 ({layers.Samples} samples; higher is better, about 6 dB per bit; red under 20 dB, orange under 30 dB).");
        _body.Append(Bars(rows.Select(t => ($"{t.Tensor} ({t.Kind})", t.SqnrDb, t.SqnrDb < 20 ? Bad : t.SqnrDb < 30 ? Integer : Good)).ToList(), v => double.IsFinite(v) ? $"{v:0.0} dB" : "exact"));
        var ranged = rows.Where(t => double.IsFinite(t.Fp32Min) && double.IsFinite(t.Int8Min)).Take(8).ToList();
        if (ranged.Count > 0)
        {
            Paragraph("Ranges of the worst: FP32 (blue) and INT8 as the model computes it (orange). INT8 shorter than FP32 means clipped values; a far wider INT8 range means coarse steps.");
            _body.Append(Ranges(ranged.Select(t => (t.Tensor, t.Fp32Min, t.Fp32Max, t.Int8Min, t.Int8Max)).ToList()));
        }

        return this;
    }

    /// <summary>Accuracy control's search: the drop after each evaluation against the bound, and the ops reverted.</summary>
    /// <param name="report">The accuracy-aware run's report.</param>
    public HtmlReport Add(AccuracyControlReport report)
    {
        Section("Accuracy-aware quantization");
        Paragraph($"{report.Metric} on {report.ValidationSamples} validation samples: FP32 {report.Format(report.Baseline)}, fully quantized {report.Format(report.DefaultScore)}, final {report.Format(report.FinalScore)} (drop {report.Format(report.FinalDrop)}, bound {report.MaxDrop.ToString(C)}): {(report.BoundMet ? "within the bound" : "bound not met")}. {report.Evaluations:0.0} validation sets evaluated.");
        _body.Append(Line(report.Iterations.Select(i => ((double)i.Number, i.Drop, i.Kept ? (i.Drop <= report.MaxDrop ? Good : SvgCharts.Float) : Muted,
            $"{i.Number}: {i.Action}: drop {report.Format(i.Drop)}{(i.Kept ? "" : " (stepped back)")}")).ToList(), report.MaxDrop, $"max drop {report.MaxDrop.ToString(C)}", "G3"));
        var table = new StringBuilder("<table><tr><th>iteration</th><th>action</th><th>drop</th><th>kept</th><th>ops in float</th></tr>");
        foreach (var i in report.Iterations)
        {
            table.Append(C, $"<tr><td>{i.Number}</td><td>{Text(i.Action)}</td><td>{report.Format(i.Drop)}</td><td>{(i.Kept ? "yes" : "stepped back")}</td><td>{i.RevertedCount}</td></tr>");
        }

        _body.Append(table.Append("</table>"));
        Paragraph(report.Reverted.Count == 0 ? "No op was reverted to float." : $"Reverted to float: {string.Join(", ", report.Reverted.Select(r => $"{r.Name} ({r.OpType})"))}.");
        return Add(report.Quantization);
    }

    /// <summary>Latency side by side: median per model and, when profiled, each model's slowest ops.</summary>
    /// <param name="models">Each model's name and measurement.</param>
    /// <param name="slowestOps">Per model (same order), its slowest ops from the profiler; null when not profiled.</param>
    public HtmlReport AddLatency(IReadOnlyList<(string Name, LatencyResult Result)> models, IReadOnlyList<IReadOnlyList<OpTime>>? slowestOps = null)
    {
        Section("Latency");
        var first = models.Count > 0 ? models[0].Result : null;
        if (first is not null)
        {
            Paragraph($"Median latency, batch {first.BatchSize}, {(first.Threads == 0 ? "all cores" : $"{first.Threads} thread(s)")} per inference, {first.Concurrency} in flight, {first.Runs} timed inferences each, interleaved.");
        }

        _body.Append(Bars(models.Select((m, i) => (m.Name, m.Result.MedianMs, i == 0 ? SvgCharts.Float : Integer)).ToList(), v => $"{v:0.000} ms"));
        for (int i = 0; slowestOps is not null && i < slowestOps.Count && i < models.Count; i++)
        {
            Paragraph($"{models[i].Name}: slowest ops (median kernel time, ONNX Runtime profiler)");
            _body.Append(Bars(slowestOps[i].Select(o => ($"{o.Name} ({o.OpType})", o.Microseconds, o.OpType.StartsWith("QLinear", StringComparison.Ordinal) || o.OpType.StartsWith("QGemm", StringComparison.Ordinal) ? Integer : SvgCharts.Float)).ToList(), v => $"{v:0.0} µs"));
        }

        return this;
    }

    /// <summary>The page.</summary>
    public string ToHtml() =>
        $$"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{{Text(_title)}}</title>
        <style>
        body { font-family: sans-serif; margin: 24px; color: #222; max-width: 960px; }
        h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #ddd; }
        table { border-collapse: collapse; margin: 8px 0; font-size: 13px; } td, th { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
        svg.chart { display: block; margin: 8px 0; }
        </style></head><body>
        <h1>{{Text(_title)}}</h1>
        <p>Written by PtqSharp {{typeof(HtmlReport).Assembly.GetName().Version?.ToString(3)}}.</p>
        {{_body}}
        </body></html>
        """;

    /// <summary>Writes the page, whole or not at all.</summary>
    /// <param name="path">The .html file.</param>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToHtml());

    private void Section(string title) => _body.Append(C, $"<h2>{Text(title)}</h2>");

    private void Paragraph(string text) => _body.Append(C, $"<p>{Text(text)}</p>");

    private void Facts(IEnumerable<(string Name, string Value)> rows)
    {
        _body.Append("<table>");
        foreach (var (name, value) in rows) _body.Append(C, $"<tr><th>{Text(name)}</th><td>{Text(value)}</td></tr>");
        _body.Append("</table>");
    }

    private static string Region(IReadOnlyList<string> ops) => ops.Count == 1 ? ops[0] : $"{ops[0]} … {ops[^1]} ({ops.Count} ops)";

    private static string Kebab<T>(T value) where T : struct, Enum => System.Text.Json.JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());

}
