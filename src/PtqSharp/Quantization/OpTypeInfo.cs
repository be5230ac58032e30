namespace PtqSharp.Quantization;

/// <summary>How many ops of one type a model has, and how many the device's rules would quantize.</summary>
/// <param name="OpType">The ONNX op type.</param>
/// <param name="Count">Nodes of that type in the model as given.</param>
/// <param name="Quantized">Those that would be quantized after preprocessing; null when the rules do not quantize the type.</param>
public sealed record OpTypeInfo(string OpType, int Count, int? Quantized);
