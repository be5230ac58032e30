namespace PtqSharp.Quantization.WeightCompression;

/// <summary>Settings of <see cref="WeightCompressor"/>, named as NNCF's <c>compress_weights</c> names them.</summary>
public sealed record WeightCompressionOptions
{
    /// <summary>Bits and symmetry of the compressed weights; 8-bit asymmetric by default, as in NNCF.</summary>
    public WeightCompressionMode Mode { get; init; } = WeightCompressionMode.Int8Asymmetric;

    /// <summary>Weights per scale along the input dimension: a power of 2, at least 16 (ONNX Runtime's kernels need both).</summary>
    public int GroupSize { get; init; } = 128;

    /// <summary>
    /// For 4-bit modes, the share of the weights that may be 4-bit (all but embeddings and the last layer, unless
    /// <see cref="AllLayers"/>), by count, stored in 4 bits; the rest, the layers whose 4-bit relative weight error is
    /// largest, in 8 bits. 1 puts every layer that may be 4-bit in 4 bits.
    /// </summary>
    public double Ratio { get; init; } = 1.0;

    /// <summary>
    /// For 4-bit modes, also put embeddings and the last MatMul in 4 bits. Off by default, as in NNCF: they are the
    /// layers 4 bits hurts most, and they are kept in 8 bits.
    /// </summary>
    public bool AllLayers { get; init; }

    /// <summary>
    /// MatMulNBits' <c>accuracy_level</c>. 4 (the default) lets ONNX Runtime quantize the activations to int8 per block and
    /// use integer dot products: on this repository's AVX2 CPU, MiniLM ran at 0.46-0.82x of FP32 with it and at 1.7-2.6x
    /// without. 0 computes in float from the dequantized weights: exact, slower on CPUs.
    /// </summary>
    public int AccuracyLevel { get; init; } = 4;

    /// <summary>
    /// With calibration data: round MatMul and Gemm weights with GPTQ, each input row's rounding error pushed onto the rows
    /// not yet rounded through the inverse of the layer's input Hessian XᵀX, so the layer's output error is minimised
    /// (measured on the float model, a batch of layers per pass of the calibration samples). Off by default: it costs
    /// O(K³ + K²N) per layer and a pass per batch.
    /// </summary>
    public bool Gptq { get; init; }

    /// <summary>
    /// With calibration data: AWQ's activation-aware scaling. Each input feature of the 4-bit MatMuls' inputs gets a
    /// scale from its activations' magnitude (the exponent searched per input tensor by the layers' output error); the
    /// weights are multiplied by it and a Mul divides the input, so salient features keep finer steps.
    /// </summary>
    public bool Awq { get; init; }

    /// <summary>With calibration data: how many samples measure the activations (NNCF's default, 128).</summary>
    public int SubsetSize { get; init; } = 128;

    /// <summary>Ops left in float.</summary>
    public IgnoredScope IgnoredScope { get; init; } = IgnoredScope.Empty;

    internal bool FourBit => Mode is WeightCompressionMode.Int4Symmetric or WeightCompressionMode.Int4Asymmetric;

    internal bool Symmetric => Mode is WeightCompressionMode.Int4Symmetric or WeightCompressionMode.Int8Symmetric;

    internal void Validate()
    {
        if (GroupSize < 16 || (GroupSize & (GroupSize - 1)) != 0)
        {
            ThrowHelper.Throw($"Group size {GroupSize} is not a power of 2 of at least 16 (16, 32, 64, 128, ...): ONNX Runtime's weight-only kernels need one.");
        }

        if (!(Ratio is > 0 and <= 1)) ThrowHelper.Throw($"Ratio {Ratio} is not in (0, 1]: it is the share of weights stored in 4 bits.");
        if (SubsetSize < 1) ThrowHelper.Throw($"Subset size must be at least 1 (got {SubsetSize}).");
        if (AccuracyLevel is not (0 or 1 or 2 or 3 or 4)) ThrowHelper.Throw($"Accuracy level {AccuracyLevel} is not 0 to 4 (0: float compute, 4: int8 compute).");
        if (Ratio < 1 && !FourBit) ThrowHelper.Throw($"A ratio below 1 mixes 4 and 8 bits; it needs a 4-bit mode (int4-sym or int4-asym), not {Mode}.");
    }
}
