using System.Numerics.Tensors;
using Onnx;

namespace PtqSharp.Evaluation.Metrics;

/// <summary>
/// 1 when the model's top-1 class equals the FP32 model's on the same sample. When the first float output holds
/// several positions of class scores (a sequence [N, T, C], a map), the classes being its last axis as the model
/// declares it, the value is the share of positions whose top-1 class agrees: a text recognizer's CTC steps, a
/// tagger's tokens.
/// </summary>
internal sealed class Top1Agreement(long classes = 0) : AccuracyMetric
{
    public override string Name => "top1-agreement";

    public override double Evaluate(int sample, IReadOnlyList<float[]?> outputs, IReadOnlyList<float[]?> reference)
    {
        var output = FirstFloat(outputs, Name);
        var expected = FirstFloat(reference, Name);
        if (classes < 2 || output.Length != expected.Length || output.Length % classes != 0 || output.Length == classes)
        {
            return TensorPrimitives.IndexOfMax(output) == TensorPrimitives.IndexOfMax(expected) ? 1 : 0;
        }

        int c = (int)classes, positions = output.Length / c, agree = 0;
        for (int p = 0; p < positions; p++)
        {
            if (TensorPrimitives.IndexOfMax(output.AsSpan(p * c, c)) == TensorPrimitives.IndexOfMax(expected.AsSpan(p * c, c))) agree++;
        }

        return (double)agree / positions;
    }

    /// <summary>The classes are the last axis of the model's first float output, when it declares that axis's size.</summary>
    internal override AccuracyMetric BindTo(ModelProto model)
    {
        var first = model.Graph.Output.FirstOrDefault(o => o.Type?.TensorType is { ElemType: PtqSharp.Onnx.TensorData.Float or PtqSharp.Onnx.TensorData.Float16 or PtqSharp.Onnx.TensorData.Double });
        var dims = first?.Type.TensorType.Shape?.Dim;
        return dims is { Count: > 0 } && dims[^1].DimValue > 1 ? new Top1Agreement(dims[^1].DimValue) : this;
    }
}
