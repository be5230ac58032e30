using PtqSharp.Onnx;

namespace PtqSharp.AccuracyControl;

/// <summary>The model accuracy control settled on, the fully quantized model it started from, and the report.</summary>
public sealed class AccuracyControlResult
{
    internal AccuracyControlResult(OnnxModel model, OnnxModel fullyQuantized, AccuracyControlReport report)
    {
        Model = model;
        FullyQuantizedModel = fullyQuantized;
        Report = report;
    }

    /// <summary>The final model: within the bound, or the best found when <see cref="AccuracyControlReport.BoundMet"/> is false.</summary>
    public OnnxModel Model { get; }

    /// <summary>The Default Quantization result, every quantizable op quantized.</summary>
    public OnnxModel FullyQuantizedModel { get; }

    /// <summary>What accuracy control did, step by step, and what it cost.</summary>
    public AccuracyControlReport Report { get; }

    /// <summary>Writes the final model whole or not at all.</summary>
    /// <param name="path">Where to write the model.</param>
    public void Save(string path) => Model.Save(path);

    /// <summary>
    /// Writes the final model to <paramref name="path"/> and beside it the fully quantized model
    /// (<c>name.fully-quantized.onnx</c>) and the report (<c>name.accuracy.txt</c>, <c>name.accuracy.json</c>).
    /// </summary>
    /// <param name="path">Where to write the final model.</param>
    /// <returns>The paths written, final model first.</returns>
    public IReadOnlyList<string> SaveAll(string path)
    {
        var stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileNameWithoutExtension(path));
        string full = stem + ".fully-quantized.onnx", text = stem + ".accuracy.txt", json = stem + ".accuracy.json";
        Save(path);
        FullyQuantizedModel.Save(full);
        AtomicFile.WriteAllText(text, Report.ToText());
        AtomicFile.WriteAllText(json, Report.ToJson());
        return [Path.GetFullPath(path), full, text, json];
    }
}
