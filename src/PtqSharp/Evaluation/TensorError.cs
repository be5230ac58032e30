namespace PtqSharp.Evaluation;

/// <summary>The quantization error of one quantized tensor against FP32.</summary>
/// <param name="Tensor">The tensor's name in the float model.</param>
/// <param name="Kind">"activation" (the accumulated error of everything upstream, as the model runs) or "weight" (rounding alone).</param>
/// <param name="Consumers">The ops that read it.</param>
/// <param name="SqnrDb">Signal-to-quantization-noise ratio in dB: higher is better; each 6 dB is about one bit.</param>
/// <param name="Fp32Min">The smallest FP32 value (over the compared samples, for an activation).</param>
/// <param name="Fp32Max">The largest FP32 value.</param>
/// <param name="Int8Min">The smallest dequantized value: above <paramref name="Fp32Min"/> when the range clipped it.</param>
/// <param name="Int8Max">The largest dequantized value.</param>
public sealed record TensorError(string Tensor, string Kind, string Consumers, double SqnrDb, double Fp32Min, double Fp32Max, double Int8Min, double Int8Max);
