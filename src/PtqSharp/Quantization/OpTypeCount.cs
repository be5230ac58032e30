namespace PtqSharp.Quantization;

/// <summary>How many ops of one type were quantized.</summary>
/// <param name="OpType">The ONNX op type.</param>
/// <param name="Quantized">Ops of that type that run on integers.</param>
/// <param name="Total">Ops of that type the rules quantize, including those left in float.</param>
public sealed record OpTypeCount(string OpType, int Quantized, int Total);
