using Onnx;

namespace PtqSharp.Quantization;

/// <summary>A constant weight input of a quantized op and the axis of its output channels (null where per-channel is not meaningful).</summary>
internal sealed record WeightInput(int InputIndex, string Tensor, int? Axis);

/// <summary>One op that will run on integer inputs.</summary>
internal sealed record QuantizedOp(NodeProto Node, IReadOnlyList<string> ActivationInputs, WeightInput? Weight, int? BiasIndex)
{
    /// <summary>Constant inputs other than the weight, quantized per tensor like activations (Add's 3, a channel scale).</summary>
    public IReadOnlyList<WeightInput> Constants { get; init; } = [];

    /// <summary>The tensor quantized after this op (after a fused Relu/Clip) so the runtime emits an integer kernel; null if none.</summary>
    public string? OutputTensor { get; init; }

    /// <summary>The tensor the op's kernel ends in: <see cref="OutputTensor"/> where a fused activation follows, else its own output.</summary>
    public string KernelOutput => OutputTensor ?? Node.Output[0];
}

/// <summary>
/// A Mul by a positive scalar <paramref name="Factor"/> after a quantized tensor, folded into the quantizer:
/// the QDQ model drops the Mul and reads <paramref name="Output"/> as DequantizeLinear(Q(<paramref name="Source"/>))
/// with the scale times the factor, which is the same value with no kernel at all.
/// </summary>
internal sealed record ScaledTensor(NodeProto Mul, string Source, string Output, float Factor);

/// <summary>Tensors that share one activation quantizer (a pass-through chain, a Concat and its inputs).</summary>
internal sealed record ActivationGroup(IReadOnlyList<string> Tensors);

/// <summary>An op of a quantizable type left in float, and why.</summary>
internal sealed record SkippedOp(NodeProto Node, string Reason);

/// <summary>Where quantizers go, decided from the graph and the device rules before any data is seen.</summary>
internal sealed record QuantizationPlan(
    IReadOnlyList<QuantizedOp> Ops,
    IReadOnlyList<ActivationGroup> Groups,
    IReadOnlySet<NodeProto> FirstLayers,
    IReadOnlyList<SkippedOp> Skipped)
{
    private static readonly IReadOnlySet<NodeProto> None = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);

    public IEnumerable<string> ActivationTensors => Groups.SelectMany(g => g.Tensors);

    /// <summary>Constant multiplications folded into quantizer scales.</summary>
    public IReadOnlyList<ScaledTensor> Scaled { get; init; } = [];

    /// <summary>
    /// Nodes that read the float tensor even where it is quantized for other consumers: ops reverted
    /// to float, and data-movement ops that only lead to them.
    /// </summary>
    public IReadOnlySet<NodeProto> FloatReaders { get; init; } = None;

    /// <summary>Single inputs that read float by the device rules (an input its op's rule does not quantize).</summary>
    public IReadOnlySet<(NodeProto Node, int Input)> FloatInputs { get; init; } = new HashSet<(NodeProto, int)>();

    public bool ReadsFloat(NodeProto node, int input) => FloatReaders.Contains(node) || FloatInputs.Contains((node, input));
}

/// <summary>Compares (node, input index) pairs by node identity: protobuf nodes compare by value.</summary>
internal sealed class NodeInputComparer : IEqualityComparer<(NodeProto Node, int Input)>
{
    public static readonly NodeInputComparer Instance = new();

    public bool Equals((NodeProto Node, int Input) a, (NodeProto Node, int Input) b) => ReferenceEquals(a.Node, b.Node) && a.Input == b.Input;

    public int GetHashCode((NodeProto Node, int Input) x) => HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(x.Node), x.Input);
}
