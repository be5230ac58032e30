namespace PtqSharp.Quantization.Rewrites;

/// <summary>
/// A rewrite of the float graph that computes the same function (up to float rounding) in a form more
/// of which runs on integer kernels, where ONNX Runtime's own optimizer does not make it: a division
/// by a constant becomes a multiplication, a per-channel scale and shift after a Conv folds into its
/// weights and bias, and so on.
/// </summary>
internal abstract class GraphRewrite
{
    /// <summary>What the rewrite does, as the report names it.</summary>
    public abstract string Description { get; }

    /// <summary>Rewrites every match; returns how many.</summary>
    public abstract int Apply(GraphEditor graph);
}
