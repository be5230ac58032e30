using PtqSharp.Statistics;

namespace PtqSharp.Quantization.Pipeline;

/// <summary>
/// One algorithm of a quantization pipeline, in NNCF's shape: it declares the statistics it needs on
/// the model as it stands when its stage starts, and applies its change from the collected values.
/// Steps never read the calibration data themselves; a step that needs more passes (histograms over
/// ranges it just computed, layer-by-layer bias correction) asks the same engine for them.
/// </summary>
internal abstract class QuantizationStep
{
    /// <summary>For progress and reports.</summary>
    public abstract string Name { get; }

    /// <summary>What the step needs collected before it applies; empty for structural steps.</summary>
    public virtual IEnumerable<StatisticPoint> StatisticPoints(PipelineState state) => [];

    /// <summary>Applies the step: changes <see cref="PipelineState.Model"/> or fills in quantization parameters.</summary>
    public abstract void Apply(PipelineState state, StatisticsContainer statistics, StatisticsEngine engine);
}
