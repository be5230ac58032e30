using Onnx;

namespace PtqSharp.Quantization;

/// <summary>A constant weight input of a quantized op and the axis of its output channels (null: per tensor).</summary>
internal sealed record WeightInput(int InputIndex, string Tensor, int? Axis);

/// <summary>One op that will run on integer inputs.</summary>
internal sealed record QuantizedOp(NodeProto Node, IReadOnlyList<string> ActivationInputs, WeightInput? Weight, int? BiasIndex)
{
    /// <summary>The tensor quantized after this op (after a fused Relu/Clip) so the runtime emits an integer kernel; null if none.</summary>
    public string? OutputTensor { get; init; }
}

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
    private static readonly IReadOnlySet<NodeProto> None = new HashSet<NodeProto>();

    public IEnumerable<string> ActivationTensors => Groups.SelectMany(g => g.Tensors);

    /// <summary>
    /// Nodes that read the float tensor even where it is quantized for other consumers: ops reverted
    /// to float, and data-movement ops that only lead to them.
    /// </summary>
    public IReadOnlySet<NodeProto> FloatReaders { get; init; } = None;
}
