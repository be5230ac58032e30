namespace PtqSharp.Quantization;

/// <summary>One weight-only compressed node of a model, as <c>ptq inspect</c> shows it.</summary>
/// <param name="Node">The node's name.</param>
/// <param name="OpType">MatMulNBits or GatherBlockQuantized.</param>
/// <param name="Bits">Bits per weight.</param>
/// <param name="BlockSize">Weights per scale.</param>
/// <param name="ZeroPoints">Whether each block has its own zero point (asymmetric).</param>
public sealed record CompressedWeightInfo(string Node, string OpType, int Bits, int BlockSize, bool ZeroPoints);
