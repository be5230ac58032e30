namespace PtqSharp.Hardware;

/// <summary>How one op type is quantized on a device.</summary>
public sealed record OperationRule
{
    /// <summary>Input indices that get quantizers; null means all inputs (Concat).</summary>
    public IReadOnlyList<int>? Inputs { get; init; }

    /// <summary>Index of the bias input, quantized to int32 with scale = input scale x weight scale.</summary>
    public int? Bias { get; init; }

    /// <summary>Whether the op's output (after fusable activations) gets a quantizer so the runtime can fuse an integer kernel.</summary>
    public bool QuantizeOutput { get; init; }

    /// <summary>Quantize only when every input is an activation (e.g. residual Add, not bias Add).</summary>
    public bool ActivationsOnly { get; init; }

    /// <summary>
    /// Constant inputs that are not the op's weight (Add 3, Mul by a channel scale) get a per-tensor
    /// quantizer of the activations' type fitted to their values, so the op runs as an integer kernel.
    /// </summary>
    public bool QuantizeConstants { get; init; }

    /// <summary>All quantized inputs and the output share one scale (Concat).</summary>
    public bool SharedScale { get; init; }

    /// <summary>Activation quantizers allowed for this op, overriding the device's; null: the device's.</summary>
    public IReadOnlyList<QuantizerConfig>? Activations { get; init; }

    /// <summary>Weight quantizers allowed for this op, overriding the device's; null: the device's.</summary>
    public IReadOnlyList<QuantizerConfig>? Weights { get; init; }
}
