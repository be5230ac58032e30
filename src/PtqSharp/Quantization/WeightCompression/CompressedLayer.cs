namespace PtqSharp.Quantization.WeightCompression;

/// <summary>One weight as compressed: where, how, and how far from the float weight.</summary>
/// <param name="Node">The node that reads the weight (now a MatMulNBits or GatherBlockQuantized).</param>
/// <param name="OpType">The node's op type before compression: MatMul, or Gather for an embedding table.</param>
/// <param name="Weight">The float weight's name.</param>
/// <param name="Shape">The weight's shape: [K, N] for MatMul, [rows, columns] for an embedding.</param>
/// <param name="Bits">4 or 8.</param>
/// <param name="GroupSize">Weights per scale.</param>
/// <param name="Symmetric">Whether the groups have no zero point of their own.</param>
/// <param name="RelativeError">‖W − dequantized W‖ / ‖W‖ over the whole weight.</param>
/// <param name="Reason">Why the layer has these bits (the mode, or kept in 8 bits as an embedding, the last layer or by the ratio).</param>
public sealed record CompressedLayer(string Node, string OpType, string Weight, IReadOnlyList<long> Shape, int Bits, int GroupSize, bool Symmetric, double RelativeError, string Reason)
{
    /// <summary>
    /// With calibration data: the layer's relative output error as the activations weight it,
    /// sqrt(Σ_k E[x_k²] ‖ΔW_k‖² / Σ_k E[x_k²] ‖W_k‖²); null without data.
    /// </summary>
    public double? OutputError { get; init; }
}
