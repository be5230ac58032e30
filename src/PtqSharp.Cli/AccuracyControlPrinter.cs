using PtqSharp.AccuracyControl;
using Spectre.Console;

namespace PtqSharp.Cli;

/// <summary>The end-of-run summary of <c>ptq quantize --method accuracy-aware</c>.</summary>
internal static class AccuracyControlPrinter
{
    public static void Print(AccuracyControlReport report, IReadOnlyList<string> written)
    {
        var iterations = new Table().Border(TableBorder.Rounded)
            .AddColumn("iter").AddColumn("action").AddColumn(new TableColumn($"{Markup.Escape(report.Metric)}").RightAligned())
            .AddColumn(new TableColumn("drop").RightAligned()).AddColumn("kept").AddColumn(new TableColumn("ops in float").RightAligned()).AddColumn(new TableColumn("time").RightAligned());
        iterations.Title($"FP32 baseline {report.Format(report.Baseline)}, max drop {report.MaxDrop.ToString(System.Globalization.CultureInfo.InvariantCulture)} ({report.DropType.ToString().ToLowerInvariant()}), {report.ValidationSamples} validation samples");
        foreach (var i in report.Iterations)
        {
            iterations.AddRow(i.Number.ToString(), Markup.Escape(i.Action), report.Format(i.Score), Drop(report, i.Drop), i.Kept ? "yes" : "[grey]stepped back[/]", i.RevertedCount.ToString(), $"{i.Seconds:0.0} s");
        }

        Terminal.Out.Write(iterations);
        var q = report.Quantization;
        var summary = new Table().Border(TableBorder.Rounded).AddColumn("").AddColumn("").HideHeaders();
        summary.AddRow("Result", report.BoundMet
            ? $"[green]within the bound[/]: {Markup.Escape(report.Outcome)}"
            : $"[red]bound not met[/]: {Markup.Escape(report.Outcome)}");
        summary.AddRow("Metric", $"FP32 {report.Format(report.Baseline)}, fully quantized {report.Format(report.DefaultScore)} (drop {report.Format(report.DefaultDrop)}), final {report.Format(report.FinalScore)} (drop {report.Format(report.FinalDrop)})");
        summary.AddRow("Ops in float", report.Reverted.Count == 0 ? "none" : Markup.Escape(string.Join(", ", report.Reverted.Select(r => $"{r.Name} ({r.OpType})"))));
        summary.AddRow("Ops quantized", $"{q.QuantizedOps} of {q.QuantizableOps}; integer kernels {q.Kernels.IntegerKernelCount}");
        summary.AddRow("Size", $"{ByteSize.Format(q.SizeBefore)} -> {ByteSize.Format(q.SizeAfter)}");
        if (q.Latency is { } l)
        {
            summary.AddRow("Latency-aware", Markup.Escape($"before accuracy control: INT8 {l.FinalMs:0.00} ms vs FP32 {l.FinalFp32Ms:0.00} ms ({l.Ratio:0.00}x, {SummaryPrinter.Threads(l)}, median of {l.Runs} interleaved runs); " +
                $"{l.OpsInFloat} ops kept in float for speed"));
        }

        summary.AddRow("Evaluations", Markup.Escape($"{report.Evaluations:0.0} validation sets: {report.FullEvaluations} full (FP32 and {report.Iterations.Count} INT8), {report.RankedVariants} ranking variants ({report.RankedSampleRuns} samples run)"));
        summary.AddRow("Time", $"{report.TotalSeconds:0.0} s = {report.TimeInFp32Evaluations:0.0}x one FP32 evaluation ({report.Fp32EvaluationSeconds:0.0} s); {report.Rankings} ranking(s), {report.RankedVariants} variants, {report.RankingSeconds:0.0} s");
        summary.AddRow("Written", Markup.Escape(string.Join("\n", written)));
        Terminal.Out.Write(summary);
    }

    private static string Drop(AccuracyControlReport report, double drop) => drop <= report.MaxDrop ? $"[green]{report.Format(drop)}[/]" : report.Format(drop);
}
