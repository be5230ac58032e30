using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace PtqSharp.Benchmarks;

/// <summary>
/// `large`: a generated decoder of about 2.6 GB of float weights (past protobuf's 2 GB, so it exists only with external
/// data) through the tool as a user runs it: static INT8 with `ptq quantize`, int4 weight-only with
/// `ptq compress-weights`, then ONNX Runtime loading and running both against FP32. Each command runs in its own
/// process under GNU time, which reports its wall time and peak resident memory (the process's VmHWM, ONNX Runtime's
/// sessions included). The model is generated into benchmarks/.data/large (not committed; about 2.6 GB).
/// </summary>
internal static partial class LargeModelSuite
{
    public static int Run(string root, string[] args)
    {
        var (shape, name) = args switch
        {
            ["tiny", ..] => (DecoderShape.Tiny, "large-tiny"),
            ["medium", ..] => (DecoderShape.Medium, "large-medium"),
            _ => (DecoderShape.Large, "large"),
        };
        var dir = Path.Combine(root, "benchmarks", ".data", name);
        var ptq = Path.Combine(root, "src", "PtqSharp.Cli", "bin", "Release", "net10.0", "ptq.dll");
        if (!File.Exists(ptq))
        {
            Console.Error.WriteLine($"Build the tool first: dotnet build -c Release src/PtqSharp.Cli ({ptq} is missing).");
            return 2;
        }

        if (!File.Exists("/usr/bin/time"))
        {
            Console.Error.WriteLine("GNU time measures peak memory here: apt-get install time.");
            return 2;
        }

        var model = Path.Combine(dir, "model", "decoder.onnx");
        var tokens = Path.Combine(dir, "tokens");
        var clock = Stopwatch.StartNew();
        if (!File.Exists(model + ".data") || !Directory.Exists(tokens))
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            DecoderModel.WriteTokens(tokens, shape, 40);
            DecoderModel.Write(Path.Combine(dir, "model"), shape);
            Console.WriteLine($"Generated the decoder in {clock.Elapsed.TotalSeconds:0.0} s.");
        }

        long weightBytes = shape.WeightCount * 4;
        Console.WriteLine($"Decoder: vocabulary {shape.Vocab}, hidden {shape.Hidden}, {shape.Heads} heads, MLP {shape.Ffn}, {shape.Layers} blocks, {shape.Sequence} tokens; " +
            $"{shape.WeightCount / 1e6:0} M float weights = {Gb(weightBytes)} in {Path.GetFileName(model)}.data ({Files(model)}); {Bench.Machine}.");
        Console.WriteLine();

        var output = Path.Combine(dir, "out");
        if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
        Directory.CreateDirectory(output);
        var int8 = Path.Combine(output, "decoder.int8.onnx");
        var int4 = Path.Combine(output, "decoder.int4.onnx");
        int subset = 32;
        var runs = new List<(string Step, Measured M)>
        {
            ("FP32 session alone (`ptq benchmark`, 5 runs)", Measure(ptq, "benchmark", "--model", model, "--data", tokens, "--runs", "5", "--warmup", "1")),
            ($"`ptq quantize --model-type transformer` (static INT8, {subset} calibration + 8 held-out samples)", Measure(ptq, "quantize", "--model", model, "--data", tokens, "--model-type", "transformer", "--subset-size", subset.ToString(CultureInfo.InvariantCulture), "--hold-out", "8", "--output", int8)),
            ("`ptq compress-weights` (int4-asym, group 32)", Measure(ptq, "compress-weights", "--model", model, "--mode", "int4-asym", "--group-size", "32", "--output", int4)),
        };
        foreach (var (label, path) in new[] { ("INT8", int8), ("int4", int4) })
        {
            if (!File.Exists(path)) continue;
            runs.Add(($"{label} vs FP32 cosine (`ptq evaluate`, 40 samples)", Measure(ptq, "evaluate", "--model", path, "--compare", model, "--data", tokens, "--metric", "cosine")));
            runs.Add(($"{label} vs FP32 latency (`ptq benchmark --compare`, interleaved, 10 runs)", Measure(ptq, "benchmark", "--model", path, "--compare", model, "--data", tokens, "--runs", "10", "--warmup", "2")));
        }

        Console.WriteLine("| step | exit | wall time | peak RSS | peak RSS / weights |");
        Console.WriteLine("| --- | --- | --- | --- | --- |");
        foreach (var (step, m) in runs)
        {
            Console.WriteLine($"| {step} | {m.ExitCode} | {m.Wall.TotalSeconds:0.0} s | {Gb(m.PeakRss)} | {(double)m.PeakRss / weightBytes:0.00}x |");
        }

        Console.WriteLine();
        Console.WriteLine($"Outputs: {Files(int8)}; {Files(int4)}.");
        var fp32Median = runs[0].M.Stdout is var s0 && MedianMs().Match(s0) is { Success: true } m0 ? double.Parse(m0.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN;
        if (!double.IsNaN(fp32Median))
        {
            var n = subset + 8;
            Console.WriteLine($"FP32 median {fp32Median:0} ms per inference: the {n} FP32 inferences quantization needs take {n * fp32Median / 1000:0.0} s; quantization took {runs[1].M.Wall.TotalSeconds:0.0} s ({runs[1].M.Wall.TotalMilliseconds / (n * fp32Median):0.0}x).");
        }

        foreach (var (step, m) in runs)
        {
            Console.WriteLine();
            Console.WriteLine($"## {step}");
            Console.WriteLine(m.Stdout.TrimEnd());
            if (m.ExitCode != 0) Console.WriteLine(m.Stderr.TrimEnd());
        }

        return runs.All(r => r.M.ExitCode == 0) ? 0 : 1;
    }

    private sealed record Measured(int ExitCode, TimeSpan Wall, long PeakRss, string Stdout, string Stderr);

    private static Measured Measure(string ptq, params string[] args)
    {
        var report = Path.GetTempFileName();
        var start = new ProcessStartInfo("/usr/bin/time") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["-v", "-o", report, "dotnet", ptq, .. args, "--quiet"]) start.ArgumentList.Add(a);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        var wall = clock.Elapsed;
        var text = File.ReadAllText(report);
        File.Delete(report);
        long kb = MaxRss().Match(text) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        return new Measured(process.ExitCode, wall, kb * 1024, stdout.Result, stderr.Result);
    }

    private static string Gb(long bytes) => $"{bytes / 1e9:0.00} GB";

    private static string Files(string model) =>
        File.Exists(model) ? $"{Path.GetFileName(model)} {new FileInfo(model).Length / 1024.0:0} KiB" + (File.Exists(model + ".data") ? $" + .data {Gb(new FileInfo(model + ".data").Length)}" : "") : $"{Path.GetFileName(model)} not written";

    [GeneratedRegex(@"Maximum resident set size \(kbytes\): (\d+)")]
    private static partial Regex MaxRss();

    [GeneratedRegex(@"latency, median\s*│\s*([\d.]+) ms")]
    private static partial Regex MedianMs();
}
