namespace PtqSharp.Quantization;

/// <summary>Whether a quantizer sits on an activation or a constant weight.</summary>
internal enum QuantizedTensorKind
{
    Activation,
    Weight,
}

/// <summary>
/// One quantizer of a written QDQ model and the float tensor it stands for: the mapping the per-tensor
/// error report compares by, returned by the writer rather than guessed from tensor names.
/// </summary>
/// <param name="Dequantized">The DequantizeLinear output in the QDQ model.</param>
/// <param name="Float">The tensor it approximates in the float model (preprocessed, as quantization saw it).</param>
/// <param name="Kind">Activation or weight.</param>
/// <param name="Consumers">Names of the nodes that read the dequantized tensor.</param>
/// <param name="Smoothing">When SmoothQuant rescaled the tensor: the QDQ model's initializer holding 1/s and the axis it runs along (-1 = last).</param>
internal sealed record QuantizedTensor(string Dequantized, string Float, QuantizedTensorKind Kind, IReadOnlyList<string> Consumers, (string InverseScale, int Axis)? Smoothing = null);
