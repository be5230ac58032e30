using PtqSharp.Quantization.Steps;
using PtqSharp.Statistics;

namespace PtqSharp.Quantization.Pipeline;

/// <summary>
/// An ordered list of stages, each a list of steps. The statistics every step of a stage declares are
/// collected together, in one engine pass on the model as the previous stages left it; then each
/// step applies in order. A step that rewrites the model (SmoothQuant) ends its stage.
/// </summary>
internal sealed class QuantizationPipeline(IReadOnlyList<IReadOnlyList<QuantizationStep>> stages)
{
    public IReadOnlyList<IReadOnlyList<QuantizationStep>> Stages => stages;

    /// <summary>Default Quantization: SmoothQuant (transformers), quantizer placement, then range estimation, GPTQ rounding of first layers and bias correction from one statistics pass.</summary>
    public static QuantizationPipeline Default(QuantizationOptions options)
    {
        var result = new List<IReadOnlyList<QuantizationStep>>();
        if (options.ModelType == ModelType.Transformer && options.SmoothQuantAlpha > 0) result.Add([new SmoothQuantStep(options.SmoothQuantAlpha)]);
        else result.Add([new GraphRewriteStep()]);
        result.Add([new PlacementStep()]);
        QuantizationStep? bias = options.BiasCorrection switch
        {
            BiasCorrectionMode.Fast => new FastBiasCorrectionStep(),
            BiasCorrectionMode.Full => new BiasCorrectionStep(),
            _ => null,
        };
        // GPTQ rounding goes after the ranges it keeps and before bias correction, which corrects the codes it chose.
        var ranges = new List<QuantizationStep> { new RangeEstimationStep() };
        if (options.FirstLayerGptq) ranges.Add(new GptqRoundingStep());
        if (bias is not null) ranges.Add(bias);
        result.Add(ranges);
        return new QuantizationPipeline(result);
    }

    public void Run(PipelineState state, StatisticsEngine engine)
    {
        foreach (var stage in stages)
        {
            var points = stage.SelectMany(s => s.StatisticPoints(state)).ToList();
            var statistics = engine.Collect(state.Model, points, $"Collecting statistics ({string.Join(", ", stage.Select(s => s.Name))})");
            foreach (var step in stage) step.Apply(state, statistics, engine);
        }
    }
}
