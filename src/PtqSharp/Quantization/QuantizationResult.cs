using PtqSharp.Onnx;

namespace PtqSharp.Quantization;

/// <summary>The quantized model and its report.</summary>
public sealed class QuantizationResult
{
    private readonly bool _allowFloatModel;

    internal QuantizationResult(OnnxModel model, QuantizationReport report, bool allowFloatModel = false)
    {
        Model = model;
        Report = report;
        _allowFloatModel = allowFloatModel;
    }

    /// <summary>The QDQ model.</summary>
    public OnnxModel Model { get; }

    /// <summary>What was quantized, how, and how close the result is to the float model.</summary>
    public QuantizationReport Report { get; }

    /// <summary>Writes the model whole or not at all.</summary>
    /// <param name="path">Where to write the model.</param>
    /// <param name="externalData">Weights in <c>name.onnx.data</c> beside it (see <see cref="OnnxModel.Save"/>).</param>
    /// <exception cref="NotFasterException">
    /// Latency-aware quantization kept every op in float (no INT8 variant was faster than FP32 here) and
    /// <see cref="LatencyAwareOptions.AllowFloatModel"/> is off.
    /// </exception>
    public void Save(string path, bool externalData = false)
    {
        if (Report.Latency is { Outcome: LatencyOutcome.NothingQuantized } latency && !_allowFloatModel) throw new NotFasterException(latency);
        Model.Save(path, externalData);
    }
}
