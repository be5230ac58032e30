using PtqSharp.AccuracyControl;
using PtqSharp.Cli.Config;
using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Onnx;

namespace PtqSharp.Cli;

/// <summary>Opens the datasets the options name, and the metric they ask for.</summary>
internal static class DataSources
{
    /// <summary>Builds the dataset for a folder; image preprocessing is resolved against the model's input only when the folder holds images.</summary>
    public static Dataset Open(string folder, Func<ImagePreprocessing> resolvedPreprocessing)
    {
        if (!Directory.Exists(folder)) throw new PtqException($"Data folder '{folder}' does not exist.");
        if (NumpyFolderDataset.Holds(folder)) return new NumpyFolderDataset(folder);
        return ImageFolderDataset.Unlabeled(folder, resolvedPreprocessing());
    }

    /// <summary>
    /// Labeled samples: NumPy samples with a file,label CSV, or images with a CSV or one subfolder per class.
    /// Image preprocessing is resolved only for images.
    /// </summary>
    public static LabeledDataset OpenLabeled(string folder, string? labelsCsv, Func<ImagePreprocessing> resolvedPreprocessing)
    {
        if (!Directory.Exists(folder)) throw new PtqException($"Validation folder '{folder}' does not exist.");
        if (NumpyFolderDataset.Holds(folder))
        {
            return labelsCsv is not null ? NumpyFolderDataset.WithLabelsCsv(folder, labelsCsv)
                : throw new PtqException($"Validation folder '{folder}' holds NumPy samples: give their classes with --labels (a CSV of file,label).");
        }

        return labelsCsv is not null ? ImageFolderDataset.WithLabelsCsv(folder, labelsCsv, resolvedPreprocessing()) : ImageFolderDataset.ByClassFolder(folder, resolvedPreprocessing());
    }

    /// <summary>The validation data a metric needs: labeled for top-1/top-5, any samples for agreement metrics.</summary>
    public static Dataset OpenValidation(string folder, string? labelsCsv, string metric, Func<ImagePreprocessing> resolvedPreprocessing) =>
        QuantizeSettings.NeedsLabels(metric) ? OpenLabeled(folder, labelsCsv, resolvedPreprocessing) : Open(folder, resolvedPreprocessing);

    public static AccuracyMetric Metric(string metric, Dataset validation) => metric switch
    {
        "top1" => AccuracyMetric.Top1((LabeledDataset)validation),
        "top5" => AccuracyMetric.Top5((LabeledDataset)validation),
        "top1-agreement" => AccuracyMetric.Top1Agreement,
        _ => AccuracyMetric.Cosine,
    };

    /// <summary>
    /// Settings whose image preprocessing is the one a PtqSharp-quantized model recorded (the first of the models
    /// that has one), so it is fed as it was calibrated; options given on the command line override it field by field.
    /// </summary>
    public static QuantizeSettings RecordedPreprocessing(OnnxModel model, OnnxModel? other)
    {
        var recorded = ImagePreprocessing.FromModel(model) ?? (other is null ? null : ImagePreprocessing.FromModel(other));
        if (recorded is null) return new QuantizeSettings();
        Terminal.Note(Spectre.Console.Markup.Escape($"Image preprocessing from the model's metadata: mean {string.Join(",", recorded.Mean)}, scale {string.Join(",", recorded.Scale)}, {recorded.Layout}, {recorded.ColorOrder}{(recorded.CenterCrop is float c ? $", center crop {c}" : "")} (options given override it)"));
        return new QuantizeSettings { Preprocessing = recorded };
    }

    /// <summary>Warns when the data's values fall outside the input range a quantized model was calibrated for.</summary>
    public static void WarnIfOutOfRange(Dataset data, OnnxModel model, OnnxModel? other)
    {
        foreach (var m in new[] { model, other }.OfType<OnnxModel>())
        {
            foreach (var warning in InputRangeCheck.Check(m, data)) Terminal.Warn(warning);
        }
    }

    /// <summary>"absolute" for <see cref="DropType.Absolute"/>: enum values as the options spell them.</summary>
    public static string Name<T>(T value) where T : struct, Enum => SettingTypes.Kebab(value.ToString());
}
