namespace PtqSharp.Quantization;

/// <summary>One quantizer of a QDQ model, as <c>ptq inspect</c> shows it: a DequantizeLinear and its parameters.</summary>
/// <param name="Tensor">The float tensor it stands for (from PtqSharp's metadata), else its DequantizeLinear output.</param>
/// <param name="Kind">"activation", "weight" or "bias" (an int32 constant).</param>
/// <param name="Type">The integer type: uint8, int8, int16, int32, ...</param>
/// <param name="Axis">The channel axis of a per-channel quantizer; null per tensor.</param>
/// <param name="Channels">How many scales it has.</param>
/// <param name="ScaleMin">The smallest scale.</param>
/// <param name="ScaleMax">The largest scale.</param>
/// <param name="ZeroPoints">The distinct zero points, in order.</param>
public sealed record QuantizerInfo(string Tensor, string Kind, string Type, int? Axis, int Channels, float ScaleMin, float ScaleMax, IReadOnlyList<long> ZeroPoints);
