using System.Diagnostics;
using PtqSharp.Tests.Cli;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace PtqSharp.Tests.Evaluation;

/// <summary>The HTML report is one self-contained page whose charts a browser draws: checked in headless Chromium.</summary>
[Collection("cli")]
public class HtmlReportTests
{
    private static readonly string Calibration = Path.Combine(TestPaths.Sample, "calibration");

    /// <summary>Renders <paramref name="html"/> in headless Chromium (Debian's <c>chromium</c>; .ci/run installs it) and returns the screenshot.</summary>
    internal static Image<Rgb24> Screenshot(string html, int height = 1800)
    {
        var png = Path.ChangeExtension(html, ".png");
        var chromium = new[] { "chromium", "chromium-browser", "google-chrome" }
            .Select(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists))
            .FirstOrDefault(p => p is not null);
        Assert.True(chromium is not null, "The HTML report test needs a headless browser: apt-get install chromium (.ci/run does).");
        var start = new ProcessStartInfo(chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", $"--screenshot={png}", $"--window-size=1000,{height}", new Uri(html).AbsoluteUri])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "chromium did not finish in 60 s");
        Assert.True(File.Exists(png), $"chromium wrote no screenshot (exit {process.ExitCode})");
        return Image.Load<Rgb24>(png);
    }

    /// <summary>How many pixels are within a small distance of <paramref name="hex"/>.</summary>
    internal static int Pixels(Image<Rgb24> image, string hex)
    {
        var target = Color.ParseHex(hex).ToPixel<Rgb24>();
        int count = 0;
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                foreach (var p in rows.GetRowSpan(y))
                {
                    if (Math.Abs(p.R - target.R) + Math.Abs(p.G - target.G) + Math.Abs(p.B - target.B) < 24) count++;
                }
            }
        });
        return count;
    }

    [Fact]
    public void Quantize_writes_a_page_whose_charts_the_browser_draws()
    {
        var dir = TestPaths.NewTempDir();
        var html = Path.Combine(dir, "report.html");
        var (code, output) = CliRunner.Run("quantize", "--model", TestPaths.SampleModel, "--data", Calibration, "--mean", "72.9", "--scale", "90",
            "--subset-size", "60", "--hold-out", "20", "--latency-aware", "false", "--output", Path.Combine(dir, "m.onnx"), "--html", html);
        Assert.True(code == 0, output);

        var page = File.ReadAllText(html);
        Assert.DoesNotContain("<script", page); // self-contained, nothing to run or fetch
        Assert.DoesNotContain("src=\"http", page);
        Assert.Equal(2, page.Split("<svg").Length - 1); // SQNR bars and ranges (no latency without latency-aware)
        Assert.Contains("Which layers quantization hurts", page);
        Assert.Contains("/b3/b3.2/Relu_output_0", page); // worst layers are named

        using var shot = Screenshot(html);
        Assert.True(Pixels(shot, "#59a14f") + Pixels(shot, "#f28e2b") + Pixels(shot, "#e15759") > 20_000, "the SQNR bars are drawn");
        Assert.True(Pixels(shot, "#4e79a7") > 3_000, "the FP32 ranges are drawn");
    }

    [Fact]
    public void Benchmark_and_debug_write_pages_too()
    {
        var dir = TestPaths.NewTempDir();
        var quantized = Path.Combine(dir, "q.onnx");
        Assert.Equal(0, CliRunner.Run("quantize", "--model", TestPaths.SampleModel, "--data", Calibration, "--mean", "72.9", "--scale", "90",
            "--subset-size", "30", "--hold-out", "0", "--latency-aware", "false", "--output", quantized).ExitCode);

        var bench = Path.Combine(dir, "bench.html");
        var (code, output) = CliRunner.Run("benchmark", "--model", quantized, "--compare", TestPaths.SampleModel, "--runs", "5", "--warmup", "1", "--profile", "3", "--html", bench);
        Assert.True(code == 0, output);
        Assert.Equal(3, File.ReadAllText(bench).Split("<svg").Length - 1); // latency, and the slowest ops of each model

        var debug = Path.Combine(dir, "debug.html");
        (code, output) = CliRunner.Run("debug", "--model", TestPaths.SampleModel, "--quantized", quantized, "--data", Calibration, "--samples", "4", "--html", debug);
        Assert.True(code == 0, output);
        Assert.Contains("Ranges of the worst", File.ReadAllText(debug));

        // The page is an output like any other: it may not replace an input.
        (code, output) = CliRunner.Run("debug", "--model", TestPaths.SampleModel, "--quantized", quantized, "--data", Calibration, "--html", quantized);
        Assert.Equal(2, code);
        Assert.Contains("--html", output);
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public void Accuracy_aware_pages_chart_the_drop_per_iteration_against_the_bound()
    {
        var dir = TestPaths.NewTempDir();
        var html = Path.Combine(dir, "aa.html");
        var (code, output) = CliRunner.Run("quantize", "--model", TestPaths.SampleModel, "--data", Calibration, "--mean", "72.9", "--scale", "90",
            "--subset-size", "60", "--hold-out", "20", "--latency-aware", "false", "--method", "accuracy-aware",
            "--validation", Path.Combine(TestPaths.Sample, "validation"), "--metric", "cosine", "--max-drop", "0.00002", "--output", Path.Combine(dir, "m.onnx"), "--html", html);
        Assert.True(code is 0 or 4, output);
        var page = File.ReadAllText(html);
        Assert.Contains("max drop 2E-05", page);
        Assert.Contains("<circle", page); // one point per evaluation
        Assert.Contains("Reverted to float", page);

        using var shot = Screenshot(html, 2400);
        Assert.True(Pixels(shot, "#e15759") > 300, "the bound is drawn");
    }
}
