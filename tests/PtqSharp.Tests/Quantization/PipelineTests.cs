using PtqSharp.Hardware;
using PtqSharp.Quantization;
using PtqSharp.Quantization.Pipeline;
using PtqSharp.Quantization.Steps;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Quantization;

public class PipelineTests
{
    private static IEnumerable<string> Stages(QuantizationOptions options) =>
        QuantizationPipeline.Default(options).Stages.Select(stage => string.Join(" + ", stage.Select(s => s.Name)));

    [Fact]
    public void Default_quantization_is_a_list_of_stages_of_steps()
    {
        Assert.Equal(["graph rewrites", "quantizer placement", "range estimation + first-layer GPTQ rounding + fast bias correction"], Stages(new QuantizationOptions { LatencyAware = Structural.LatencyOff }));
        Assert.Equal(["SmoothQuant", "quantizer placement", "range estimation + first-layer GPTQ rounding + bias correction"],
            Stages(new QuantizationOptions { LatencyAware = Structural.LatencyOff, ModelType = ModelType.Transformer, BiasCorrection = BiasCorrectionMode.Full }));
        Assert.Equal(["graph rewrites", "quantizer placement", "range estimation"],
            Stages(new QuantizationOptions { LatencyAware = Structural.LatencyOff, BiasCorrection = BiasCorrectionMode.None, FirstLayerGptq = false }));
    }

    [Theory]
    [InlineData(RangeEstimatorKind.MinMax, 1)] // ranges and channel means in the same pass
    [InlineData(RangeEstimatorKind.Percentile, 1)] // exact tails in the same pass too
    [InlineData(RangeEstimatorKind.Mse, 2)] // plus the histogram pass over the ranges found
    public void Range_estimation_and_bias_correction_share_one_pass_over_the_calibration_samples(RangeEstimatorKind estimator, int passes)
    {
        var data = new CountingDataset(RandomData.Samples(24, [1, 3, 16, 16], scale: 2f));
        var result = Quantizer.Quantize(TestGraphs.TwoConv().Onnx(), data,
            new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 20, HoldOutSize = 0, ActivationRange = new RangeEstimator { Kind = estimator } });
        Assert.Equal(2, result.Report.BiasesCorrected);
        Assert.Equal(passes * 20, data.Reads);
    }

    [Fact]
    public void Parameters_are_computed_for_every_preset_asked_for_in_one_calibration()
    {
        var data = new CountingDataset(RandomData.Samples(24, [1, 3, 16, 16], scale: 2f));
        var calibrated = DefaultQuantization.Calibrate(TestGraphs.TwoConv(), data, new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 20, HoldOutSize = 0, TargetDevice = TargetDevice.Cpu },
            [QuantizationPreset.Performance, QuantizationPreset.Mixed], null, default);
        Assert.Equal(20, data.Reads);
        Assert.NotEqual(calibrated.Build(QuantizationPreset.Performance, []).Model, calibrated.Build(QuantizationPreset.Mixed, []).Model);
        Assert.Throws<InvalidOperationException>(() => calibrated.Build(QuantizationPreset.Accuracy, []));
        Assert.Equal(20, data.Reads); // building models never reads the data again
    }

    [Fact]
    public void A_step_sees_the_model_as_earlier_stages_left_it()
    {
        var model = TestGraphs.TwoConv();
        var state = new PipelineState(model, HardwareConfig.For(TargetDevice.Any), new QuantizationOptions { LatencyAware = Structural.LatencyOff }, IgnoredScopeMatcher.Create(IgnoredScope.Empty, model.Graph), [QuantizationPreset.Performance]);
        var engine = new PtqSharp.Statistics.StatisticsEngine(RandomData.Samples(4, [1, 3, 16, 16]), [0, 1, 2, 3], 1, null, default);
        Assert.Throws<InvalidOperationException>(() => new RangeEstimationStep().StatisticPoints(state).ToList()); // nothing placed yet
        new QuantizationPipeline([[new PlacementStep()], [new RangeEstimationStep()]]).Run(state, engine);
        Assert.Equal(2, state.Plan.Ops.Count);
        Assert.Equal(state.Plan.ActivationTensors.Count(), state.Parameters[QuantizationPreset.Performance].Activations.Count);
    }
}
