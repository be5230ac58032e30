using PtqSharp.Onnx;

namespace PtqSharp.Quantization;

/// <summary>The quantized model and its report.</summary>
public sealed class QuantizationResult
{
    internal QuantizationResult(OnnxModel model, QuantizationReport report)
    {
        Model = model;
        Report = report;
    }

    /// <summary>The QDQ model.</summary>
    public OnnxModel Model { get; }

    /// <summary>What was quantized, how, and how close the result is to the float model.</summary>
    public QuantizationReport Report { get; }

    /// <summary>Writes the model whole or not at all.</summary>
    /// <param name="path">Where to write the model.</param>
    public void Save(string path) => Model.Save(path);
}
