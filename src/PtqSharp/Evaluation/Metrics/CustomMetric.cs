namespace PtqSharp.Evaluation.Metrics;

/// <summary>A user's per-sample function.</summary>
internal sealed class CustomMetric(string name, Func<int, IReadOnlyList<float[]?>, double> perSample) : AccuracyMetric
{
    public override string Name => name;

    public override double Evaluate(int sample, IReadOnlyList<float[]?> outputs, IReadOnlyList<float[]?> reference) => perSample(sample, outputs);
}
