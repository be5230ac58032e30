namespace PtqSharp.Quantization;

/// <summary>What a model holds and what Default Quantization would do to it.</summary>
/// <param name="Opset">The default-domain opset the model imports.</param>
/// <param name="IrVersion">The ONNX IR version.</param>
/// <param name="Producer">The tool that wrote it.</param>
/// <param name="SizeBytes">Serialized size.</param>
/// <param name="Device">The rules used to tell what would be quantized.</param>
/// <param name="Inputs">The model's inputs.</param>
/// <param name="Outputs">The model's outputs.</param>
/// <param name="OpTypes">Op counts by type, most frequent first.</param>
/// <param name="QuantizedOps">Ops that would be quantized.</param>
/// <param name="ActivationQuantizers">Activation tensors that would get a quantizer.</param>
/// <param name="Quantizers">For a model that is already quantized, its quantizers; empty for a float model.</param>
/// <param name="CompressedWeights">Its weight-only compressed nodes (MatMulNBits, GatherBlockQuantized), if any.</param>
public sealed record ModelInfo(
    int Opset, long IrVersion, string Producer, long SizeBytes, string Device,
    IReadOnlyList<TensorInfo> Inputs, IReadOnlyList<TensorInfo> Outputs, IReadOnlyList<OpTypeInfo> OpTypes,
    int QuantizedOps, int ActivationQuantizers, IReadOnlyList<QuantizerInfo> Quantizers, IReadOnlyList<CompressedWeightInfo> CompressedWeights);
