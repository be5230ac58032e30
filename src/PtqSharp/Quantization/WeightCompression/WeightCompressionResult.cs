using PtqSharp.Onnx;

namespace PtqSharp.Quantization.WeightCompression;

/// <summary>A model with compressed weights and the report of how it was made.</summary>
public sealed class WeightCompressionResult
{
    internal WeightCompressionResult(OnnxModel model, WeightCompressionReport report)
    {
        Model = model;
        Report = report;
    }

    /// <summary>The model: MatMulNBits and GatherBlockQuantized (com.microsoft) in place of the compressed MatMuls and Gathers.</summary>
    public OnnxModel Model { get; }

    /// <summary>Per layer: bits, group size, relative weight error.</summary>
    public WeightCompressionReport Report { get; }

    /// <summary>Writes the model whole or not at all.</summary>
    /// <param name="path">Where to write it.</param>
    /// <param name="externalData">Weights in <c>name.onnx.data</c> beside it (see <see cref="OnnxModel.Save"/>).</param>
    public void Save(string path, bool externalData = false) => Model.Save(path, externalData);
}
