using System.Globalization;
using System.Net;
using System.Text;

namespace PtqSharp.Evaluation;

/// <summary>Plain inline SVG charts for the HTML report: no script, no external file, readable in any browser.</summary>
internal static class SvgCharts
{
    public const string Float = "#4e79a7";
    public const string Integer = "#f28e2b";
    public const string Bad = "#e15759";
    public const string Good = "#59a14f";
    public const string Muted = "#bab0ac";

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>One horizontal bar per row, labeled on the left, value on the right; bars share one scale from 0.</summary>
    public static string Bars(IReadOnlyList<(string Label, double Value, string Color)> rows, Func<double, string> format, int width = 900)
    {
        const int row = 22, labelWidth = 340, valueWidth = 90;
        int plot = width - labelWidth - valueWidth;
        double max = rows.Count == 0 ? 1 : Math.Max(rows.Max(r => double.IsFinite(r.Value) ? Math.Abs(r.Value) : 0), 1e-12);
        var s = Open(width, rows.Count * row + 8);
        for (int i = 0; i < rows.Count; i++)
        {
            var (label, value, color) = rows[i];
            int y = 4 + i * row;
            double length = double.IsFinite(value) ? Math.Abs(value) / max * plot : plot;
            s.Append(C, $"<text x=\"{labelWidth - 6}\" y=\"{y + 15}\" text-anchor=\"end\">{Text(Shorten(label, 52))}</text>");
            s.Append(C, $"<rect x=\"{labelWidth}\" y=\"{y + 3}\" width=\"{Math.Max(1, length):0.#}\" height=\"{row - 6}\" fill=\"{color}\"><title>{Text(label)}: {Text(format(value))}</title></rect>");
            s.Append(C, $"<text x=\"{labelWidth + length + 6:0.#}\" y=\"{y + 15}\">{Text(format(value))}</text>");
        }

        return s.Append("</svg>").ToString();
    }

    /// <summary>
    /// For each row, its FP32 range (upper bar) and INT8 range (lower bar) on one shared axis: where INT8 is
    /// shorter, the quantizer clipped; where it is far wider than the values, steps are coarse.
    /// </summary>
    public static string Ranges(IReadOnlyList<(string Label, double Fp32Min, double Fp32Max, double Int8Min, double Int8Max)> rows, int width = 900)
    {
        const int row = 34, labelWidth = 340, margin = 20;
        int plot = width - labelWidth - margin;
        var finite = rows.SelectMany(r => new[] { r.Fp32Min, r.Fp32Max, r.Int8Min, r.Int8Max }).Where(double.IsFinite).ToList();
        double lo = finite.Count == 0 ? 0 : Math.Min(0, finite.Min()), hi = finite.Count == 0 ? 1 : Math.Max(0, finite.Max());
        if (hi - lo < 1e-12) hi = lo + 1;
        double X(double v) => labelWidth + (Math.Clamp(v, lo, hi) - lo) / (hi - lo) * plot;
        var s = Open(width, rows.Count * row + 24);
        s.Append(C, $"<line x1=\"{X(0):0.#}\" x2=\"{X(0):0.#}\" y1=\"0\" y2=\"{rows.Count * row}\" stroke=\"#999\" stroke-dasharray=\"3,3\"/>");
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            int y = i * row;
            s.Append(C, $"<text x=\"{labelWidth - 6}\" y=\"{y + 20}\" text-anchor=\"end\">{Text(Shorten(r.Label, 52))}</text>");
            s.Append(C, $"<rect x=\"{X(r.Fp32Min):0.#}\" y=\"{y + 6}\" width=\"{Math.Max(1, X(r.Fp32Max) - X(r.Fp32Min)):0.#}\" height=\"10\" fill=\"{Float}\"><title>FP32 [{r.Fp32Min:G4}, {r.Fp32Max:G4}]</title></rect>");
            s.Append(C, $"<rect x=\"{X(r.Int8Min):0.#}\" y=\"{y + 18}\" width=\"{Math.Max(1, X(r.Int8Max) - X(r.Int8Min)):0.#}\" height=\"10\" fill=\"{Integer}\"><title>INT8 [{r.Int8Min:G4}, {r.Int8Max:G4}]</title></rect>");
        }

        s.Append(C, $"<text x=\"{labelWidth}\" y=\"{rows.Count * row + 16}\">{lo:G4}</text><text x=\"{width - margin}\" y=\"{rows.Count * row + 16}\" text-anchor=\"end\">{hi:G4}</text>");
        return s.Append("</svg>").ToString();
    }

    /// <summary>A line through (x, y) points with a dashed threshold line; points marked by their own color.</summary>
    public static string Line(IReadOnlyList<(double X, double Y, string Color, string Tip)> points, double? threshold, string thresholdLabel, string yFormat, int width = 900, int height = 280)
    {
        const int left = 70, right = 20, top = 14, bottom = 30;
        var ys = points.Select(p => p.Y).Where(double.IsFinite).Concat(threshold is double t ? [t, 0] : [0.0]).ToList();
        double yLo = ys.Min(), yHi = ys.Max();
        if (yHi - yLo < 1e-12) yHi = yLo + 1;
        double xHi = Math.Max(1, points.Count == 0 ? 1 : points.Max(p => p.X));
        double X(double v) => left + v / xHi * (width - left - right);
        double Y(double v) => top + (yHi - Math.Clamp(v, yLo, yHi)) / (yHi - yLo) * (height - top - bottom);
        var s = Open(width, height);
        s.Append(C, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{Y(0):0.#}\" y2=\"{Y(0):0.#}\" stroke=\"#ccc\"/>");
        s.Append(C, $"<text x=\"{left - 6}\" y=\"{Y(yHi) + 4:0.#}\" text-anchor=\"end\">{yHi.ToString(yFormat, C)}</text><text x=\"{left - 6}\" y=\"{Y(yLo) + 4:0.#}\" text-anchor=\"end\">{yLo.ToString(yFormat, C)}</text>");
        if (threshold is double bound)
        {
            s.Append(C, $"<line x1=\"{left}\" x2=\"{width - right}\" y1=\"{Y(bound):0.#}\" y2=\"{Y(bound):0.#}\" stroke=\"{Bad}\" stroke-width=\"2\" stroke-dasharray=\"6,4\"/>");
            s.Append(C, $"<text x=\"{width - right}\" y=\"{Y(bound) - 4:0.#}\" text-anchor=\"end\" fill=\"{Bad}\">{Text(thresholdLabel)}</text>");
        }

        var path = string.Join(" ", points.Where(p => double.IsFinite(p.Y)).Select((p, i) => $"{(i == 0 ? "M" : "L")}{X(p.X).ToString("0.#", C)},{Y(p.Y).ToString("0.#", C)}"));
        if (path.Length > 0) s.Append(C, $"<path d=\"{path}\" fill=\"none\" stroke=\"{Float}\" stroke-width=\"2\"/>");
        foreach (var p in points.Where(p => double.IsFinite(p.Y)))
        {
            s.Append(C, $"<circle cx=\"{X(p.X):0.#}\" cy=\"{Y(p.Y):0.#}\" r=\"5\" fill=\"{p.Color}\"><title>{Text(p.Tip)}</title></circle>");
        }

        s.Append(C, $"<text x=\"{left}\" y=\"{height - 8}\">0</text><text x=\"{width - right}\" y=\"{height - 8}\" text-anchor=\"end\">{xHi:0}</text>");
        return s.Append("</svg>").ToString();
    }

    private static StringBuilder Open(int width, int height) =>
        new StringBuilder().Append(C, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"12\">");

    private static string Shorten(string s, int max) => s.Length <= max ? s : "…" + s[^(max - 1)..];

    public static string Text(string s) => WebUtility.HtmlEncode(s);
}
