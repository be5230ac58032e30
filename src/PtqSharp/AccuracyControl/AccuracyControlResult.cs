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
    /// <param name="externalData">Both models' weights in <c>name.onnx.data</c> files beside them.</param>
    /// <returns>The paths written, final model first.</returns>
    public IReadOnlyList<string> SaveAll(string path, bool externalData = false)
    {
        var paths = PathsFor(path);
        Model.Save(paths[0], externalData);
        FullyQuantizedModel.Save(paths[1], externalData);
        AtomicFile.WriteAllText(paths[2], Report.ToText());
        AtomicFile.WriteAllText(paths[3], Report.ToJson());
        return [.. paths, .. new[] { (Model, paths[0]), (FullyQuantizedModel, paths[1]) }
            .Where(m => externalData || m.Item1.RequiresExternalData).Select(m => OnnxModelIO.DataFilePath(m.Item2))];
    }

    /// <summary>
    /// The files <see cref="SaveAll"/> writes for <paramref name="path"/>, final model first, then the fully
    /// quantized model and the text and JSON reports: for checking them against the inputs before any work.
    /// </summary>
    /// <param name="path">Where the final model goes.</param>
    /// <param name="externalData">Whether the models' external data files (after the four) are written too; models over 2 GB always have them.</param>
    public static IReadOnlyList<string> PathsFor(string path, bool externalData = false)
    {
        var stem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, Path.GetFileNameWithoutExtension(path));
        string[] paths = [Path.GetFullPath(path), stem + ".fully-quantized.onnx", stem + ".accuracy.txt", stem + ".accuracy.json"];
        return externalData ? [.. paths, OnnxModelIO.DataFilePath(paths[0]), OnnxModelIO.DataFilePath(paths[1])] : paths;
    }
}
