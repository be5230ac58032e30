using PtqSharp.Quantization;
using Spectre.Console;

namespace PtqSharp.Cli;

/// <summary>The end-of-run summary of <c>ptq quantize</c>.</summary>
internal static class SummaryPrinter
{
    public static void Print(QuantizationReport report, string outputPath, (double Fp32, double Int8)? accuracy, int validationCount)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn("");
        table.HideHeaders();
        table.AddRow("Output", Markup.Escape(outputPath));
        var preset = DataSources.Name(report.Preset) + (report.EffectivePreset != report.Preset ? $" (as {DataSources.Name(report.EffectivePreset)} on {report.TargetDevice})" : "");
        table.AddRow("Target device / preset", Markup.Escape($"{report.TargetDevice} / {preset}, overflow fix {DataSources.Name(report.OverflowFix)}"));
        table.AddRow("Precision", Markup.Escape(report.Precision.ToString()));
        table.AddRow("Ops quantized", $"{report.QuantizedOps} of {report.QuantizableOps} ({string.Join(", ", report.OpTypes.Select(o => $"{o.OpType} {o.Quantized}/{o.Total}"))}); {report.BiasesCorrected} biases corrected{(report.GptqRounded.Count > 0 ? $"; {report.GptqRounded.Count} first layer(s) rounded by GPTQ" : "")}");
        if (report.Rewrites.Count > 0)
        {
            table.AddRow("Graph rewrites", Markup.Escape(string.Join("; ", report.Rewrites.Select(r => $"{r.Rewrite}: {r.Count}"))));
        }

        table.AddRow("Integer kernels in ONNX Runtime", report.Kernels.IntegerKernelCount == 0
            ? "[red]none[/]"
            : string.Join(", ", report.Kernels.IntegerKernelCounts.Select(kv => $"{kv.Key} {kv.Value}")) + (report.Kernels.FloatComputeCount > 0 ? $"; float Conv/MatMul/Gemm left: {report.Kernels.FloatComputeCount}" : ""));
        table.AddRow("Size", $"{ByteSize.Format(report.SizeBefore)} -> {ByteSize.Format(report.SizeAfter)} ({(double)report.SizeBefore / report.SizeAfter:0.0}x smaller)");
        if (report.HoldOutAgreement is { } a)
        {
            var top1 = a.Top1Agreement is double t ? $", top-1 agreement {t:P1}" : string.Empty;
            table.AddRow($"FP32 vs INT8 ({a.Samples} held-out samples)", $"mean cosine {a.MeanCosine:0.0000} (min {a.MinCosine:0.0000}), SQNR {a.SqnrDb:0.0} dB{top1}");
        }
        else
        {
            table.AddRow("FP32 vs INT8", "[yellow]no held-out samples: every sample was used for calibration[/]");
        }

        if (accuracy is var (fp32, int8))
        {
            table.AddRow($"Top-1 accuracy ({validationCount} labeled samples)", $"FP32 {fp32:P2}, INT8 {int8:P2} (drop {(fp32 - int8) * 100:0.00} points)");
        }

        if (report.Latency is { } latency) AddLatencyRows(table, latency);
        var latencyTime = report.Latency is { } l ? $", latency measurement {l.Time.TotalSeconds:0.0} s" : string.Empty;
        table.AddRow("Time", $"{report.TotalTime.TotalSeconds:0.0} s (calibration {report.CalibrationTime.TotalSeconds:0.0} s, {report.CalibrationSamples.Count} samples{latencyTime})");
        var skipped = report.Skipped.Where(s => report.Latency is null || !report.Latency.Regions.Any(r => r.Ops.Contains(s.Name))).ToList();
        foreach (var s in skipped.Take(5))
        {
            table.AddRow("[grey]kept in float[/]", Markup.Escape($"{s.Name} ({s.OpType}): {s.Reason}"));
        }

        if (skipped.Count > 5) table.AddRow("[grey]kept in float[/]", $"... and {skipped.Count - 5} more");
        Terminal.Out.Write(table);
    }

    /// <summary>The latency rows alone, for a run that wrote nothing because no INT8 model was faster.</summary>
    public static void PrintLatency(LatencyReport latency)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn("");
        table.HideHeaders();
        AddLatencyRows(table, latency);
        Terminal.Out.Write(table);
    }

    private static void AddLatencyRows(Table table, LatencyReport latency)
    {
        string threads = Threads(latency);
        string verdict = latency.Outcome switch
        {
            LatencyOutcome.Faster => $"[green]{latency.Ratio:0.00}x[/] of FP32",
            LatencyOutcome.NotSlower => $"[yellow]{latency.Ratio:0.00}x[/] of FP32: not measurably faster here",
            _ => "[red]no INT8 model was faster[/]",
        };
        var first = latency.Regions.Count == 0 ? string.Empty : $"; fully quantized {latency.FullyQuantizedRatio:0.00}x";
        table.AddRow($"Latency ({Markup.Escape(threads)})", $"FP32 {latency.FinalFp32Ms:0.00} ms, INT8 {latency.FinalMs:0.00} ms: {verdict}{first}");
        table.AddRow("[grey]latency measured[/]", Markup.Escape($"median of {latency.RunsMeasured} interleaved with FP32 on one calibration sample, margin {latency.Margin:P0}; {latency.VariantsTimed} INT8 variant(s) timed, ops profiled with ONNX Runtime's profiler"));
        if (latency.Regions.Count == 0) return;
        table.AddRow("Kept in float for speed", Markup.Escape($"{latency.OpsInFloat} ops in {latency.Regions.Count} region(s)"));
        foreach (var r in latency.Regions.Take(5))
        {
            var ops = r.Ops.Count <= 3 ? string.Join(", ", r.Ops) : $"{r.Ops[0]} ... {r.Ops[^1]} ({r.Ops.Count} ops: {string.Join(", ", r.OpTypes.GroupBy(t => t).Select(g => $"{g.Key} {g.Count()}"))})";
            table.AddRow("[grey]  region[/]", Markup.Escape($"{ops}: profiled INT8 {r.Int8Microseconds:0} us vs float {r.FloatMicroseconds:0} us, borders {r.BorderMicroseconds:0} us, gain {r.GainMicroseconds:0} us"));
        }

        if (latency.Regions.Count > 5) table.AddRow("[grey]  region[/]", $"... and {latency.Regions.Count - 5} more");
    }

    /// <summary>The thread count latency was measured at, e.g. "1 of 2 cores".</summary>
    internal static string Threads(LatencyReport latency) => latency.Threads == 0 ? $"all {latency.Cores} cores" : $"{latency.Threads} of {latency.Cores} cores";
}
