namespace PtqSharp.Evaluation;

/// <summary>The quantization error of one quantized tensor against FP32.</summary>
/// <param name="Tensor">The tensor's name in the float model.</param>
/// <param name="Kind">"activation" (the accumulated error of everything upstream, as the model runs) or "weight" (rounding alone).</param>
/// <param name="Consumers">The ops that read it.</param>
/// <param name="SqnrDb">Signal-to-quantization-noise ratio in dB: higher is better; each 6 dB is about one bit.</param>
public sealed record TensorError(string Tensor, string Kind, string Consumers, double SqnrDb);
