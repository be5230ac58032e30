using Onnx;

namespace PtqSharp.Quantization;

/// <summary>Quantization parameters of every quantizer for one preset.</summary>
/// <param name="Activations">By tensor, scaled tensors included.</param>
/// <param name="Weights">By op.</param>
/// <param name="Biases">Corrected biases by op.</param>
/// <param name="Constants">Quantized constant inputs other than weights, by (op, input index).</param>
internal sealed record PresetParameters(
    IReadOnlyDictionary<string, QuantizationParameters> Activations,
    IReadOnlyDictionary<NodeProto, QuantizationParameters> Weights,
    IReadOnlyDictionary<NodeProto, float[]> Biases,
    IReadOnlyDictionary<(NodeProto Node, int Input), QuantizationParameters> Constants);
