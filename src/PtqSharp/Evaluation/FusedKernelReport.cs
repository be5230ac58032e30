using Onnx;
using PtqSharp.Execution;
using PtqSharp.Hardware.Metatypes;
using PtqSharp.Onnx;

namespace PtqSharp.Evaluation;

/// <summary>
/// What ONNX Runtime actually runs: the op counts of the model after full optimization. A QDQ model
/// is only fast if its quantized ops became integer kernels here; which kernels are integer ones comes
/// from the operator metatypes.
/// </summary>
/// <param name="OpCounts">Nodes per op type in the runtime's optimized graph.</param>
public sealed record FusedKernelReport(IReadOnlyDictionary<string, int> OpCounts)
{
    /// <summary>Nodes that run on integers (QLinearConv, QGemm, ...).</summary>
    public int IntegerKernelCount => IntegerKernelCounts.Sum(kv => kv.Value);

    /// <summary>Float convolutions and matrix products left: ops that have integer kernels but did not get them.</summary>
    public int FloatComputeCount => OpCounts.Where(kv => OperatorMetatypes.FloatComputeKernels.Contains(kv.Key)).Sum(kv => kv.Value);

    /// <summary>Nodes of one op type in the optimized graph.</summary>
    /// <param name="opType">An op type, e.g. "QLinearConv".</param>
    public int Count(string opType) => OpCounts.GetValueOrDefault(opType);

    /// <summary>Integer kernels by op type, in the order they first appear in the optimized graph.</summary>
    public IEnumerable<KeyValuePair<string, int>> IntegerKernelCounts => OpCounts.Where(kv => OperatorMetatypes.IntegerKernels.Contains(kv.Key));

    /// <summary>Lets ONNX Runtime optimize the model as it would to run it, and counts what it made.</summary>
    /// <param name="model">A QDQ (or any) model.</param>
    public static FusedKernelReport For(OnnxModel model) => For(model.Proto);

    internal static FusedKernelReport For(ModelProto model)
    {
        var optimized = SessionFactory.Optimize(model, GraphOptimization.All, weights: false);
        var counts = optimized.Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        return new FusedKernelReport(counts);
    }
}
