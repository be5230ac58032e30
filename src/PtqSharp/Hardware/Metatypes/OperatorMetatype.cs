using Onnx;
using PtqSharp.Onnx;

namespace PtqSharp.Hardware.Metatypes;

/// <summary>
/// What PtqSharp knows about one ONNX op type, from <c>operators.json</c>: its weight and bias inputs,
/// the channel axis of its activation input, and the ONNX Runtime kernels that run it. Algorithms ask
/// these questions instead of testing op-type names.
/// </summary>
internal sealed record OperatorMetatype(string OpType)
{
    /// <summary>Where the op reads a constant weight; null for ops without weights.</summary>
    public WeightPort? Weight { get; init; }

    /// <summary>The bias input index, when the op has one.</summary>
    public int? Bias { get; init; }

    /// <summary>The channel axis of the activation input (the one the weight's input axis sums over); negative counts from the end.</summary>
    public int? ChannelAxis { get; init; }

    /// <summary>An attribute that, when non-zero, transposes the activation input (Gemm's transA).</summary>
    public string? ChannelTransposedBy { get; init; }

    /// <summary>The attribute splitting channels into groups (Conv's group).</summary>
    public string? GroupAttribute { get; init; }

    /// <summary>Whether weight rounding shifts each output channel's mean by exactly sum (Wq - W) . E[x], so the bias can absorb it.</summary>
    public bool BiasCorrection { get; init; }

    /// <summary>
    /// Whether each output is a weighted sum over a sliding patch of the input (im2col), so the Hessian of an output
    /// channel's error with respect to its weights is the covariance of those patches: what GPTQ rounding needs.
    /// </summary>
    public bool PatchHessian { get; init; }

    /// <summary>ONNX Runtime kernels that run the op on integers after QDQ fusion.</summary>
    public IReadOnlyList<string> IntegerKernels { get; init; } = [];

    /// <summary>ONNX Runtime kernels that run the op in float.</summary>
    public IReadOnlyList<string> FloatKernels { get; init; } = [];

    /// <summary>Inputs that set parameters rather than carry data (Clip's bounds): they must be constant for the op to fuse.</summary>
    public IReadOnlyList<int> ParameterInputs { get; init; } = [];

    /// <summary>Bounds every output of the op lies within, whatever its input (Sigmoid's [0, 1]).</summary>
    public (float Min, float Max)? OutputRange { get; init; }

    /// <summary>The weight's (output, input) channel axes for a weight of <paramref name="rank"/>, after any transposition attribute.</summary>
    public (int Output, int Input) WeightAxes(NodeProto node, int rank)
    {
        var w = Weight ?? throw new InvalidOperationException($"{OpType} has no weight.");
        int output = Normalize(w.OutputChannelAxis, rank), input = Normalize(w.InputChannelAxis, rank);
        return w.TransposedBy is { } t && node.GetInt(t, 0) != 0 ? (input, output) : (output, input);
    }

    /// <summary>
    /// The axis of per-channel weight scales when <paramref name="input"/> is the op's weight input, or
    /// null where one scale per output channel does not exist (another input, a rank without
    /// per-channel kernels, or grouped weights whose output channels are not the leading axis, so
    /// scales along it would repeat across groups and not match the bias's channels).
    /// </summary>
    public int? PerChannelAxis(NodeProto node, int input, int rank)
    {
        if (Weight is not { } w || w.Input != input || (w.PerChannelRank is int r && r != rank)) return null;
        int axis = WeightAxes(node, rank).Output;
        return GroupAttribute is { } g && node.GetInt(g, 1) > 1 && axis != 0 ? null : axis;
    }

    /// <summary>The activation's channel axis for a tensor of <paramref name="rank"/> (for rank 2, a transposition flips it), or null when unknown.</summary>
    public int? ActivationChannelAxis(NodeProto node, int rank)
    {
        if (ChannelAxis is not int axis) return null;
        axis = Normalize(axis, rank);
        return ChannelTransposedBy is { } t && node.GetInt(t, 0) != 0 ? (rank == 2 ? 1 - axis : null) : axis;
    }

    /// <summary>Groups of the op (1 when it has no group attribute).</summary>
    public int Groups(NodeProto node) => GroupAttribute is { } g ? (int)node.GetInt(g, 1) : 1;

    private static int Normalize(int axis, int rank) => axis < 0 ? axis + rank : axis;
}
