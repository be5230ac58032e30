using Onnx;
using PtqSharp.AccuracyControl;
using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Onnx;
using PtqSharp.Quantization;

namespace PtqSharp.Tests.AccuracyControl;

/// <summary>Accuracy control on the shipped classifier, whose fully quantized outputs have a cosine of about 0.9998 with FP32.</summary>
public class AccuracyControlTests
{
    private static readonly ImagePreprocessing Preprocessing = new() { Width = 28, Height = 28, Channels = 1, Mean = [72.9f], Scale = [90f] };
    private static readonly OnnxModel Model = OnnxModel.Load(TestPaths.SampleModel);
    private static readonly Dataset Calibration = ImageFolderDataset.Unlabeled(Path.Combine(TestPaths.Sample, "calibration"), Preprocessing);
    private static readonly LabeledDataset Validation = ImageFolderDataset.ByClassFolder(Path.Combine(TestPaths.Sample, "validation"), Preprocessing);
    // GPTQ rounding of the 7-bit stem takes the classifier to a cosine of 0.99995, too little drop to control: the tests round to nearest.
    private static readonly QuantizationOptions Quantization = new() { SubsetSize = 100, HoldOutSize = 20, LatencyAware = Structural.LatencyOff, FirstLayerGptq = false };

    private static double MeanCosine(OnnxModel model) =>
        ModelComparison.Agreement(Model, model, Validation, Enumerable.Range(0, Validation.Count).ToList()).MeanCosine;

    [Fact]
    public void A_tight_bound_is_met_by_reverting_ops_and_the_report_matches_an_independent_evaluation()
    {
        var options = new AccuracyControlOptions { MaxDrop = 1e-4, RankingSubsetSize = 100 };
        var result = Quantizer.QuantizeWithAccuracyControl(Model, Calibration, Validation, AccuracyMetric.Cosine, options, Quantization);
        var report = result.Report;

        Assert.True(report.DefaultDrop > options.MaxDrop, $"default drop {report.DefaultDrop} should miss the bound for this test to mean anything");
        Assert.True(report.BoundMet, report.ToText());
        Assert.True(report.FinalDrop <= options.MaxDrop);
        Assert.NotEmpty(report.Reverted);
        Assert.True(report.Reverted.Count < report.Quantization.QuantizableOps, report.ToText());
        Assert.Equal(report.Reverted.Count, report.Quantization.Skipped.Count(s => s.Reason == FloatFallback.Reason));
        Assert.Equal(1.0, report.Baseline, 9);
        Assert.Equal(MeanCosine(result.Model), report.FinalScore, 6);
        Assert.Equal(MeanCosine(result.FullyQuantizedModel), report.DefaultScore, 6);
        Assert.Equal("Default Quantization", report.Iterations[0].Action);

        // Evaluations count the baseline, every iteration, and ranking variants as their share of the validation set.
        Assert.Equal(1 + report.Iterations.Count, report.FullEvaluations);
        Assert.Equal(report.RankedVariants * 100L, report.RankedSampleRuns); // 100 ranking samples, far under the 25-set budget
        Assert.Equal(report.FullEvaluations + report.RankedVariants * 100.0 / Validation.Count, report.Evaluations, 9);
        Assert.Contains($"Evaluations {report.Evaluations:0.0} validation sets", report.ToText());
        Assert.All(report.Reverted, r => Assert.Contains(result.Model.Proto.Graph.Node, n => n.Name == r.Name && n.Input.All(i => !i.EndsWith("_dequantized"))));
    }

    [Fact]
    public void A_loose_bound_keeps_the_fully_quantized_model()
    {
        var result = Quantizer.QuantizeWithAccuracyControl(Model, Calibration, Validation, AccuracyMetric.Top1(Validation),
            new AccuracyControlOptions { MaxDrop = 0.02 }, Quantization);

        Assert.True(result.Report.BoundMet);
        Assert.Empty(result.Report.Reverted);
        Assert.Single(result.Report.Iterations);
        Assert.Equal(result.FullyQuantizedModel.Proto, result.Model.Proto);
        Assert.Equal(ModelComparison.Top1(Model, Validation), result.Report.Baseline, 9);
        Assert.Equal(ModelComparison.Top1(result.Model, Validation), result.Report.FinalScore, 9);
    }

    [Fact]
    public void An_unreachable_bound_is_reported_plainly_and_the_best_model_found_is_kept()
    {
        var result = Quantizer.QuantizeWithAccuracyControl(Model, Calibration, Validation, AccuracyMetric.Cosine,
            new AccuracyControlOptions { MaxDrop = 0, MaxIterations = 1, RankingSubsetSize = 50 }, Quantization);
        var report = result.Report;

        Assert.False(report.BoundMet);
        Assert.Contains("iteration limit", report.Outcome);
        Assert.Contains("BOUND NOT MET", report.ToText());
        Assert.Equal(2, report.Iterations.Count);
        Assert.True(report.FinalDrop <= report.DefaultDrop);
        Assert.Equal(MeanCosine(result.Model), report.FinalScore, 6);
    }

    [Fact]
    public void A_user_validation_function_without_per_sample_values_is_controlled_by_output_error_ranking()
    {
        var indices = Enumerable.Range(0, Validation.Count).ToList();
        int calls = 0;
        double Validate(OnnxModel m, Dataset d)
        {
            Interlocked.Increment(ref calls);
            return ModelComparison.Agreement(Model, m, d, indices).MeanCosine;
        }

        var result = Quantizer.QuantizeWithAccuracyControl(Model, Calibration, Validation, Validate,
            new AccuracyControlOptions { MaxDrop = 1e-4, RankingSubsetSize = 100 }, Quantization);

        Assert.True(result.Report.BoundMet, result.Report.ToText());
        Assert.NotEmpty(result.Report.Reverted);
        Assert.Equal("validation function", result.Report.Metric);
        Assert.All(result.Report.Reverted, r => Assert.True(r.RankingScore <= 0, "ranked by minus output NMSE"));
        Assert.Equal(result.Report.Iterations.Count + 1, calls); // baseline plus one per full evaluation, none while ranking
    }

    [Fact]
    public void A_step_that_makes_the_drop_grow_is_stepped_back_and_the_next_ranked_op_is_tried_without_ranking_again()
    {
        // A task where putting the Gemm back in float hurts and each Conv in float helps; the output
        // error ranks the Gemm first, so the search must step back and go on down the same ranking.
        static bool InFloat(ModelProto m, string opType, NodeProto n) =>
            n.OpType == opType && !m.Graph.Node.Any(p => p.OpType == "DequantizeLinear" && p.Output[0] == n.Input[1]);
        double Validate(OnnxModel model, Dataset d)
        {
            var m = model.Proto;
            return m.Graph.Node.All(n => n.OpType != "QuantizeLinear")
                ? 1.0
                : 0.9 + 0.02 * m.Graph.Node.Count(n => InFloat(m, "Conv", n)) - 0.05 * m.Graph.Node.Count(n => InFloat(m, "Gemm", n));
        }

        // Min/max ranges: with them the Gemm's output error is the largest, as the scenario needs.
        var result = Quantizer.QuantizeWithAccuracyControl(Model, Calibration, Validation, Validate,
            new AccuracyControlOptions { MaxDrop = 0.07, RankingSubsetSize = 50 }, Quantization with { ActivationRange = RangeEstimator.MinMax });
        var report = result.Report;

        Assert.True(report.BoundMet, report.ToText());
        var gemmStep = Assert.Single(report.Iterations, i => i.Action.Contains("(Gemm)"));
        Assert.False(gemmStep.Kept, report.ToText());
        Assert.Equal(1, report.Rankings);
        Assert.Equal(["Conv", "Conv"], report.Reverted.Select(r => r.OpType));
        Assert.Equal(0.94, report.FinalScore, 9);
    }

    [Fact]
    public void Steps_revert_several_ops_when_the_drop_is_spread_thin()
    {
        // Each of the five weighted ops (four Convs and the Gemm) in float is worth 0.01: FP32 scores 0.95, fully
        // quantized 0.90, and a drop of 0.015 needs four of them.
        double Validate(OnnxModel model, Dataset d)
        {
            var g = model.Proto.Graph;
            return 0.9 + 0.01 * g.Node.Count(n => n.OpType is "Conv" or "Gemm" && !g.Node.Any(p => p.OpType == "DequantizeLinear" && p.Output[0] == n.Input[1]));
        }

        var result = Quantizer.QuantizeWithAccuracyControl(Model, Calibration, Validation, Validate,
            new AccuracyControlOptions { MaxDrop = 0.015, RankingSubsetSize = 50 }, Quantization);
        var report = result.Report;

        Assert.True(report.BoundMet, report.ToText());
        Assert.Equal(0.94, report.FinalScore, 9);
        // One op (drop 0.04: 2.5 ops to go at 0.01 each, so half of that, two, next), two at once (0.02), then one at a time.
        Assert.Equal(1, report.Iterations[1].RevertedCount);
        Assert.StartsWith("revert 2 ops", report.Iterations[2].Action);
        Assert.Equal(3, report.Iterations[2].RevertedCount);
        Assert.All(report.Iterations.Skip(3), i => Assert.DoesNotContain(" ops (", i.Action));
        Assert.Equal(1, report.Rankings);
    }

    [Theory]
    [InlineData(300, 500, 7, 300)] // the sample: the asked size
    [InlineData(300, 100, 141, 17)] // MobileNetV3-Large on 100 samples: 25 validation sets' worth
    [InlineData(300, 600, 125, 120)] // the PP-OCR classifier
    [InlineData(300, 40, 200, 16)] // never fewer than 16
    [InlineData(300, 10, 200, 10)] // nor more than the validation set
    public void Ranking_runs_on_fewer_samples_when_ranking_every_op_would_cost_more_than_25_validation_sets(int asked, int validation, int candidates, int expected)
    {
        Assert.Equal(expected, AccuracyControlLoop.RankingSamples(asked, validation, candidates));
    }

    [Fact]
    public void A_stalled_ranking_is_ranked_again_at_its_head_only_and_its_rest_keeps_its_order()
    {
        int[] candidates = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        var (toRank, unranked, isHead) = AccuracyControlLoop.ToRank(candidates, null, head: 3);
        Assert.Equal(candidates, toRank); // a first ranking: every candidate
        Assert.Empty(unranked);
        Assert.False(isHead);
        (toRank, unranked, isHead) = AccuracyControlLoop.ToRank(candidates, [8, 6, 42, 5, 9, 3], head: 3); // 42 is no candidate any more
        Assert.Equal([8, 6, 5], toRank);
        Assert.Equal([9, 3], unranked);
        Assert.True(isHead);
        (toRank, unranked, isHead) = AccuracyControlLoop.ToRank(candidates, [42], head: 3); // nothing left of it: every candidate again
        Assert.Equal(candidates, toRank);
        Assert.Empty(unranked);
        Assert.False(isHead);

        // And a head re-ranking has a smaller budget: 24 ops on 100 validation samples get 33 samples each, 8 sets' worth.
        Assert.Equal(33, AccuracyControlLoop.RankingSamples(300, 100, 24, budget: 8));
    }

    [Fact]
    public void The_mixed_preset_is_tried_first_when_asked()
    {
        var result = Quantizer.QuantizeWithAccuracyControl(Model, Calibration, Validation, AccuracyMetric.Cosine,
            new AccuracyControlOptions { MaxDrop = 2e-5, ConvertToMixedPreset = true, MaxIterations = 0 }, Quantization);

        Assert.Equal("Mixed preset (asymmetric activations)", result.Report.Iterations[1].Action);
        Assert.Equal(result.Report.Iterations[1].Kept ? QuantizationPreset.Mixed : QuantizationPreset.Performance, result.Report.FinalPreset);
    }

    [Fact]
    public void Relative_drop_is_divided_by_the_baseline()
    {
        var options = new AccuracyControlOptions { DropType = DropType.Relative };
        Assert.Equal(0.1, options.Drop(0.8, 0.72), 9);
        Assert.Equal(0.08, new AccuracyControlOptions().Drop(0.8, 0.72), 9);
    }

    [Theory]
    [InlineData(-0.1, 300, 30)]
    [InlineData(0.01, 0, 30)]
    [InlineData(0.01, 300, -1)]
    public void Bad_options_are_rejected(double maxDrop, int ranking, int maxIter) =>
        Assert.Throws<PtqException>(() => Quantizer.QuantizeWithAccuracyControl(Model, Calibration, Validation, AccuracyMetric.Cosine,
            new AccuracyControlOptions { MaxDrop = maxDrop, RankingSubsetSize = ranking, MaxIterations = maxIter }, Quantization));
}
