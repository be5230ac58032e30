using System.Numerics.Tensors;

namespace PtqSharp.Evaluation.Metrics;

/// <summary>1 when the model's top-1 class equals the FP32 model's on the same sample.</summary>
internal sealed class Top1Agreement : AccuracyMetric
{
    public override string Name => "top1-agreement";

    public override double Evaluate(int sample, IReadOnlyList<float[]?> outputs, IReadOnlyList<float[]?> reference) =>
        TensorPrimitives.IndexOfMax(FirstFloat(outputs, Name)) == TensorPrimitives.IndexOfMax(FirstFloat(reference, Name)) ? 1 : 0;
}
