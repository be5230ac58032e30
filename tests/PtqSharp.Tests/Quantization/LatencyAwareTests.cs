using Onnx;
using PtqSharp.Evaluation;
using PtqSharp.Hardware;
using PtqSharp.Execution;
using PtqSharp.Onnx;
using PtqSharp.Quantization;
using PtqSharp.Quantization.LatencyAware;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Quantization;

public class LatencyAwareTests
{
    /// <summary>
    /// A machine where latency is a sum of node costs, the same every time: a Conv that reads a
    /// DequantizeLinear runs its integer kernel at the given cost, a float Conv costs 10, and every
    /// activation QuantizeLinear or DequantizeLinear costs 1. Profiles report those costs per node
    /// under the model's own node names.
    /// </summary>
    private sealed class CostProbe(IReadOnlyDictionary<string, double> integerConv) : ILatencyProbe
    {
        public int Threads => 1;

        public List<int> Timed { get; } = [];

        /// <summary>From this comparison on (1-based), FP32 (the first model) measures 3x slower: a noisy machine's second opinion.</summary>
        public int? Fp32SlowFrom { get; init; }

        /// <summary>Time every whole model takes on top of its nodes' costs (the rest of a large model, in no profile).</summary>
        public double Overhead { get; init; }

        public IReadOnlyList<LatencyResult> Time(IReadOnlyList<ModelProto> models)
        {
            Timed.Add(models.Count);
            return models.Select((m, k) => (Cost(m) + Overhead) / 1000 * (k == 0 && Timed.Count >= Fp32SlowFrom ? 3 : 1)).Select(ms => new LatencyResult(0, 1, 1, 20, ms, ms, ms)).ToList();
        }

        public ModelProfile Profile(ModelProto model) =>
            new(model, model.Graph.Node.ToDictionary(n => n.Name, n => new NodeProfile(n.Name, n.OpType, Cost(n, model.Graph), 256, 256)));

        private double Cost(ModelProto model) => model.Graph.Node.Sum(n => Cost(n, model.Graph));

        private double Cost(NodeProto node, GraphProto graph)
        {
            bool constant(string t) => graph.Initializer.Any(i => i.Name == t);
            return node.OpType switch
            {
                "Conv" when graph.Node.Any(p => p.OpType == "DequantizeLinear" && p.Output[0] == node.Input[0]) => integerConv[node.Name],
                "Conv" => 10,
                "QuantizeLinear" or "DequantizeLinear" when !constant(node.Input[0]) => 1,
                _ => 0,
            };
        }
    }

    /// <summary>x -> conv1 -> relu1 -> conv2 -> relu2 -> conv3 -> y.</summary>
    private static ModelProto ThreeConvs()
    {
        var b = new GraphBuilder().Input("x", 1, 4, 8, 8).Output("y", 1, 4, 8, 8);
        var r1 = b.Relu("relu1", b.Conv("conv1", "x", 4, 4));
        var r2 = b.Relu("relu2", b.Conv("conv2", r1, 4, 4));
        b.Conv("conv3", r2, 4, 4);
        var model = b.Build();
        model.Graph.Node.Last().Output[0] = "y";
        return model;
    }

    private static CalibratedModel Calibrate(ModelProto model, CostProbe probe, LatencyAwareOptions? latency = null, List<string>? stages = null) =>
        DefaultQuantization.Calibrate(model, RandomData.Samples(24, [1, 4, 8, 8], scale: 2f),
            new QuantizationOptions { SubsetSize = 20, HoldOutSize = 4, LatencyAware = latency ?? new LatencyAwareOptions() },
            [QuantizationPreset.Performance], stages is null ? null : new Stages(stages), default, probe);

    private sealed class Stages(List<string> stages) : IProgress<QuantizationProgress>
    {
        public void Report(QuantizationProgress value)
        {
            if (stages.LastOrDefault() != value.Stage) stages.Add(value.Stage);
        }
    }

    private static bool IntegerConv(ModelProto m, string name)
    {
        var conv = m.Graph.Node.Single(n => n.Name == name);
        return m.Graph.Node.Any(p => p.OpType == "DequantizeLinear" && p.Output[0] == conv.Input[1]);
    }

    [Fact]
    public void A_conv_slower_in_int8_stays_float_and_its_neighbours_keep_their_integer_kernels()
    {
        var probe = new CostProbe(new Dictionary<string, double> { ["conv1"] = 2, ["conv2"] = 40, ["conv3"] = 2 });
        var calibrated = Calibrate(ThreeConvs(), probe);
        var report = calibrated.Latency!;

        Assert.Equal(LatencyOutcome.Faster, report.Outcome);
        var region = Assert.Single(report.Regions);
        Assert.Equal(["conv2"], region.Ops);
        Assert.True(region.GainMicroseconds > 20, $"gain {region.GainMicroseconds}");
        Assert.True(report.FullyQuantizedRatio > 1 && report.Ratio < 1, $"{report.FullyQuantizedRatio} then {report.Ratio}");
        Assert.Equal(2, report.VariantsTimed); // the fully quantized model and one variant

        var (model, plan) = calibrated.Build(QuantizationPreset.Performance, []);
        Assert.True(IntegerConv(model, "conv1") && IntegerConv(model, "conv3"));
        Assert.False(IntegerConv(model, "conv2"));

        // conv2 reads conv1's integer output through its DequantizeLinear, so conv1's kernel stays whole.
        var conv2 = model.Graph.Node.Single(n => n.Name == "conv2");
        Assert.Equal("DequantizeLinear", model.Graph.Node.Single(n => n.Output.Contains(conv2.Input[0])).OpType);
        Assert.Contains(plan.Skipped, s => s.Node.Name == "conv2" && s.Reason.Contains("for speed"));
        Assert.DoesNotContain(calibrated.Ops, o => o.Node.Name == "conv2"); // accuracy control cannot revert it again
    }

    [Theory]
    [InlineData(0.03, false)]
    [InlineData(0.0, true)]
    public void A_slow_region_stays_float_only_if_the_whole_model_gains_more_than_the_margin(double margin, bool kept)
    {
        // conv2 loses 4 on integers by its profile, about 1 % of a model whose other work takes 300.
        var probe = new CostProbe(new Dictionary<string, double> { ["conv1"] = 2, ["conv2"] = 14, ["conv3"] = 2 }) { Overhead = 300 };
        var report = Calibrate(ThreeConvs(), probe, new LatencyAwareOptions { Margin = margin }).Latency!;
        Assert.Equal(kept, report.Regions.Any(r => r.Ops.SequenceEqual(["conv2"])));
        Assert.Equal(kept ? 1 : 0, report.Regions.Count);
        Assert.True(report.Ratio < 1, $"ratio {report.Ratio}");
    }

    [Fact]
    public void When_int8_is_faster_nothing_is_timed_beyond_the_first_comparison_and_nothing_stays_float()
    {
        var probe = new CostProbe(new Dictionary<string, double> { ["conv1"] = 2, ["conv2"] = 2, ["conv3"] = 2 });
        var report = Calibrate(ThreeConvs(), probe).Latency!;
        Assert.Equal(LatencyOutcome.Faster, report.Outcome);
        Assert.Empty(report.Regions);
        Assert.Equal([2], probe.Timed);
    }

    [Fact]
    public void When_no_variant_beats_fp32_every_op_stays_float_and_the_model_is_written_only_on_request()
    {
        var probe = new CostProbe(new Dictionary<string, double> { ["conv1"] = 30, ["conv2"] = 30, ["conv3"] = 30 });
        var stages = new List<string>();
        var calibrated = Calibrate(ThreeConvs(), probe, stages: stages);
        var report = calibrated.Latency!;
        Assert.Equal(LatencyOutcome.NothingQuantized, report.Outcome);
        Assert.Equal("Latency-aware: confirming that no INT8 variant is faster (1 thread)", stages.Last(s => s.StartsWith("Latency-aware", StringComparison.Ordinal)));
        Assert.Equal(3, report.OpsInFloat);
        Assert.True(probe.Timed.Count >= 2, "the biggest losers were tried in float before giving up");

        var result = new QuantizationResult(new OnnxModel(calibrated.Build(QuantizationPreset.Performance, []).Model), FakeReport(report));
        var path = Path.Combine(TestPaths.NewTempDir(), "m.onnx");
        var e = Assert.Throws<NotFasterException>(() => result.Save(path));
        Assert.Same(report, e.Latency);
        Assert.Contains("No INT8 model was faster than FP32", e.Message);
        Assert.Contains("--allow-float-model", e.Message);
        Assert.False(File.Exists(path));

        new QuantizationResult(result.Model, result.Report, allowFloatModel: true).Save(path);

        // That last comparison confirmed the verdict; had it found INT8 faster, the INT8 model would be kept.
        var noisy = new CostProbe(new Dictionary<string, double> { ["conv1"] = 30, ["conv2"] = 30, ["conv3"] = 30 }) { Fp32SlowFrom = probe.Timed.Count };
        Assert.NotEqual(LatencyOutcome.NothingQuantized, Calibrate(ThreeConvs(), noisy).Latency!.Outcome);
        Assert.Equal(probe.Timed.Count, noisy.Timed.Count);
        Assert.Equal(ThreeConvs(), OnnxModelIO.Load(path)); // the model as given, not the preprocessed float graph
    }

    [Theory]
    [InlineData(TargetDevice.Gpu)]
    [InlineData(TargetDevice.Npu)]
    [InlineData(TargetDevice.Gna)]
    public void Devices_that_do_not_run_on_this_cpu_are_not_timed_here(TargetDevice device)
    {
        var probe = new CostProbe(new Dictionary<string, double> { ["conv1"] = 30, ["conv2"] = 30, ["conv3"] = 30 });
        var calibrated = DefaultQuantization.Calibrate(ThreeConvs(), RandomData.Samples(24, [1, 4, 8, 8], scale: 2f),
            new QuantizationOptions { SubsetSize = 20, HoldOutSize = 4, TargetDevice = device }, [QuantizationPreset.Performance], null, default, probe);
        Assert.Null(calibrated.Latency);
        Assert.Empty(probe.Timed);
        Assert.Equal(3, calibrated.Ops.Count);
    }

    [Fact]
    public void Options_are_checked_before_any_work()
    {
        var e = Assert.Throws<PtqException>(() => Calibrate(ThreeConvs(), new CostProbe(new Dictionary<string, double>()), new LatencyAwareOptions { Runs = 1 }));
        Assert.Contains("at least 3 timed runs", e.Message);
        e = Assert.Throws<PtqException>(() => Calibrate(ThreeConvs(), new CostProbe(new Dictionary<string, double>()), new LatencyAwareOptions { Margin = 0.7 }));
        Assert.Contains("margin", e.Message);
    }

    private static QuantizationReport FakeReport(LatencyReport latency) => new()
    {
        TargetDevice = "ANY", Preset = QuantizationPreset.Performance, EffectivePreset = QuantizationPreset.Performance,
        Precision = PrecisionReport.For(new ModelProto { Graph = new GraphProto() }, []), OverflowFix = OverflowFix.None, OriginalOpset = 13,
        OpTypes = [], Skipped = [], ActivationQuantizers = 0, Rewrites = [], BiasesCorrected = 0, SizeBefore = 1, SizeAfter = 1,
        CalibrationSamples = [], HoldOutSamples = [], Kernels = new FusedKernelReport(new Dictionary<string, int>()),
        CalibrationTime = TimeSpan.Zero, TotalTime = TimeSpan.Zero, Latency = latency,
    };
}
