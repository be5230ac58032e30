using PtqSharp.AccuracyControl;
using PtqSharp.Cli.Config;
using PtqSharp.Data;
using PtqSharp.Evaluation;

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

    /// <summary>"absolute" for <see cref="DropType.Absolute"/>: enum values as the options spell them.</summary>
    public static string Name<T>(T value) where T : struct, Enum => SettingTypes.Kebab(value.ToString());
}
