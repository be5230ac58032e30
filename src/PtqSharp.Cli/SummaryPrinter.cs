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
        table.AddRow("Ops quantized", $"{report.QuantizedOps} of {report.QuantizableOps} ({string.Join(", ", report.OpTypes.Select(o => $"{o.OpType} {o.Quantized}/{o.Total}"))}); {report.BiasesCorrected} biases corrected");
        table.AddRow("Integer kernels in ONNX Runtime", report.Kernels.IntegerKernelCount == 0
            ? "[red]none[/]"
            : string.Join(", ", report.Kernels.IntegerKernelCounts.Select(kv => $"{kv.Key} {kv.Value}")) + (report.Kernels.FloatComputeCount > 0 ? $"; float Conv/MatMul/Gemm left: {report.Kernels.FloatComputeCount}" : ""));
        table.AddRow("Size", $"{Size(report.SizeBefore)} -> {Size(report.SizeAfter)} ({(double)report.SizeBefore / report.SizeAfter:0.0}x smaller)");
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

        table.AddRow("Time", $"{report.TotalTime.TotalSeconds:0.0} s (calibration {report.CalibrationTime.TotalSeconds:0.0} s, {report.CalibrationSamples.Count} samples)");
        foreach (var s in report.Skipped.Take(5))
        {
            table.AddRow("[grey]kept in float[/]", Markup.Escape($"{s.Name} ({s.OpType}): {s.Reason}"));
        }

        if (report.Skipped.Count > 5) table.AddRow("[grey]kept in float[/]", $"... and {report.Skipped.Count - 5} more");
        AnsiConsole.Write(table);
    }

    internal static string Size(long bytes) => bytes >= 1 << 20 ? $"{bytes / (double)(1 << 20):0.0} MiB" : $"{bytes / 1024.0:0.0} KiB";
}
