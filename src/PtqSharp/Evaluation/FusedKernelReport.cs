using Microsoft.ML.OnnxRuntime;
using Onnx;
using PtqSharp.Execution;

namespace PtqSharp.Evaluation;

/// <summary>
/// What ONNX Runtime actually runs: the op counts of the model after full optimization. A QDQ model
/// is only fast if its quantized ops became integer kernels here.
/// </summary>
public sealed record FusedKernelReport(IReadOnlyDictionary<string, int> OpCounts)
{
    private static readonly string[] IntegerKernels =
    [
        "QLinearConv", "QLinearMatMul", "MatMulIntegerToFloat", "QGemm", "QLinearAdd", "QLinearMul", "QLinearAveragePool",
        "QLinearGlobalAveragePool", "QLinearConcat", "ConvInteger", "MatMulInteger", "QLinearLeakyRelu", "QLinearSigmoid",
        "QLinearSoftmax", "QLinearConvTranspose", "DynamicQuantizeMatMul", "QAttention", "QLinearReduceMean",
    ];

    private static readonly string[] FloatCompute = ["Conv", "FusedConv", "ConvTranspose", "MatMul", "FusedMatMul", "Gemm", "FusedGemm"];

    public int IntegerKernelCount => IntegerKernels.Sum(k => OpCounts.GetValueOrDefault(k));

    public int FloatComputeCount => FloatCompute.Sum(k => OpCounts.GetValueOrDefault(k));

    public int Count(string opType) => OpCounts.GetValueOrDefault(opType);

    public IEnumerable<KeyValuePair<string, int>> IntegerKernelCounts => OpCounts.Where(kv => IntegerKernels.Contains(kv.Key));

    public static FusedKernelReport For(ModelProto model)
    {
        var optimized = SessionFactory.Optimize(model, GraphOptimizationLevel.ORT_ENABLE_ALL);
        var counts = optimized.Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        return new FusedKernelReport(counts);
    }
}
