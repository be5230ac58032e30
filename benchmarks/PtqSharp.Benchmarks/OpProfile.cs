using PtqSharp.Data;
using PtqSharp.Execution;
using PtqSharp.Onnx;
using PtqSharp.Quantization;
using PtqSharp.Quantization.LatencyAware;

/// <summary>
/// `ops MODEL NPY_FOLDER [THREADS]`: what latency-aware quantization sees. Quantizes with it off, profiles
/// the fully quantized and the float model with ONNX Runtime's profiler, and prints every quantized
/// op's INT8 and float time as charged by <see cref="OpLatencyEstimator"/> and totals per op type; then
/// times whole variants against FP32: each op type in float, depthwise or dense convolutions only, and
/// the 1 to 12 biggest profiled losers in float.
/// </summary>
internal static class OpProfile
{
    public static int Run(string modelPath, string data, int threads)
    {
        var model = OnnxModel.Load(modelPath);
        var dataset = new NumpyFolderDataset(data);
        var options = new QuantizationOptions { SubsetSize = Math.Min(100, dataset.Count), HoldOutSize = 0, LatencyAware = new LatencyAwareOptions { Enabled = false } };
        var calibrated = DefaultQuantization.Calibrate(model.Proto, dataset, options, [options.Preset], null, default);
        var (int8, _) = calibrated.Build(options.Preset, []);
        var settings = ExecutionSettings.WithThreads(threads);
        var sample = dataset.Get(0);
        var q = ModelProfiler.Profile(int8, settings, sample, 30, 5);
        var f = ModelProfiler.Profile(calibrated.FloatModel, settings, sample, 30, 5);
        var estimator = new OpLatencyEstimator(calibrated.FullPlan, calibrated.Index);
        var ops = estimator.Estimate(q, f);
        Console.WriteLine($"{Path.GetFileName(modelPath)}, {threads} thread(s): INT8 kernels {q.TotalMicroseconds:0} us, float kernels {f.TotalMicroseconds:0} us per run; " +
            $"Q/DQ {OpLatencyEstimator.QdqMicrosecondsPerElement(q) * 1000:0.00} ns per element");
        Console.WriteLine($"charged: INT8 {ops.Values.Sum(o => o.Int8Microseconds):0} us, float {ops.Values.Sum(o => o.FloatMicroseconds):0} us");
        foreach (var g in ops.Values.GroupBy(o => o.Op.Node.OpType))
        {
            Console.WriteLine($"  {g.Key,-20} {g.Count(),4} ops  INT8 {g.Sum(o => o.Int8Microseconds),8:0} us  float {g.Sum(o => o.FloatMicroseconds),8:0} us  losers {g.Count(o => o.Loss > 0)}");
        }

        Console.WriteLine("INT8 nodes by op type:");
        foreach (var g in q.Nodes.Values.GroupBy(n => n.OpType).OrderByDescending(g => g.Sum(n => n.Microseconds)))
        {
            Console.WriteLine($"  {g.Key,-28} {g.Count(),4}  {g.Sum(n => n.Microseconds),8:0} us");
        }

        Console.WriteLine("float nodes by op type:");
        foreach (var g in f.Nodes.Values.GroupBy(n => n.OpType).OrderByDescending(g => g.Sum(n => n.Microseconds)))
        {
            Console.WriteLine($"  {g.Key,-28} {g.Count(),4}  {g.Sum(n => n.Microseconds),8:0} us");
        }

        Console.WriteLine("ops (graph order): name, type, INT8 us, float us");
        foreach (var o in calibrated.FullPlan.Ops)
        {
            var l = ops[o.Node];
            Console.WriteLine($"  {o.Node.Name,-40} {o.Node.OpType,-18} {l.Int8Microseconds,8:0.0} {l.FloatMicroseconds,8:0.0}{(l.Loss > 0 ? "  *" : "")}");
        }

        // Whole-model variants: every op of some types in float, timed against FP32.
        var fp32 = model.Proto;
        var bench = new PtqSharp.Evaluation.BenchmarkOptions { Threads = threads, Runs = 20, Warmup = 3 };
        var types = calibrated.FullPlan.Ops.Select(o => o.Node.OpType).Distinct().ToList();
        IEnumerable<(string Name, Func<QuantizedOp, bool> Float)> Variants()
        {
            yield return ("fully quantized", _ => false);
            foreach (var t in types) yield return ($"{t} in float", o => o.Node.OpType == t);

            yield return ("only Conv quantized", o => o.Node.OpType != "Conv");
            yield return ("depthwise Conv in float", o => o.Node.OpType == "Conv" && o.Node.Attribute.Any(a => a.Name == "group" && a.I > 1));
            yield return ("only pointwise/dense Conv quantized", o => !(o.Node.OpType == "Conv" && !o.Node.Attribute.Any(a => a.Name == "group" && a.I > 1)));
            yield return ("estimated losers in float", o => ops[o.Node].Loss > 0);
            var ranked = calibrated.FullPlan.Ops.OrderByDescending(o => ops[o.Node].Loss).Select(o => o.Node).ToList();
            foreach (int k in new[] { 1, 2, 3, 4, 6, 8, 12 })
            {
                var top = ranked.Take(k).ToHashSet();
                yield return ($"top {k} losers in float", o => top.Contains(o.Node));
            }
        }

        foreach (var (name, isFloat) in Variants())
        {
            var floatOps = calibrated.FullPlan.Ops.Where(isFloat).Select(o => o.Node).ToList();
            var (variant, _) = calibrated.Build(options.Preset, floatOps);
            var t = PtqSharp.Evaluation.LatencyBenchmark.Compare([fp32, variant], bench, sample, 1500);
            Console.WriteLine($"{name,-40} {floatOps.Count,4} ops float: FP32 {t[0].MedianMs:0.000} ms, INT8 {t[1].MedianMs:0.000} ms, {t[1].MedianMs / t[0].MedianMs:0.00}x ({t[0].Runs} runs)");
        }

        return 0;
    }
}
