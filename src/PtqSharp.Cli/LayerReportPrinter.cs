using PtqSharp.Evaluation;
using Spectre.Console;

namespace PtqSharp.Cli;

/// <summary>Prints the worst tensors of a per-layer error report and writes the whole report as CSV.</summary>
internal static class LayerReportPrinter
{
    public static void Print(LayerErrorReport report, string csvPath, int rows = 12)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumns("tensor", "kind", "read by").AddColumn(new TableColumn("SQNR").RightAligned());
        table.Title($"Worst {Math.Min(rows, report.Tensors.Count)} of {report.Tensors.Count} quantized tensors ({report.Samples} samples; higher is better, ~6 dB per bit)");
        foreach (var t in report.Worst(rows))
        {
            table.AddRow(Markup.Escape(t.Tensor), t.Kind, Markup.Escape(t.Consumers), $"{t.SqnrDb:0.0} dB");
        }

        Terminal.Out.Write(table);
        report.SaveCsv(csvPath);
        Terminal.Note($"Per-tensor report: [bold]{Markup.Escape(csvPath)}[/]");
    }

    public static string CsvPathBeside(string modelPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, Path.GetFileNameWithoutExtension(modelPath) + ".layers.csv");
}
