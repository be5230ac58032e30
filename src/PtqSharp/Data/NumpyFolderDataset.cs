namespace PtqSharp.Data;

/// <summary>
/// A folder of .npy files (one sample each, for single-input models) or .npz files (one sample
/// each, arrays keyed by model input name). Samples may differ in dynamic dimensions. With a labels
/// CSV, the samples carry classes for top-1/top-5: preprocessed tensors of any model, not just images.
/// </summary>
public sealed class NumpyFolderDataset : LabeledDataset
{
    private readonly IReadOnlyList<string> _files;
    private readonly IReadOnlyList<int>? _labels;

    /// <summary>Lists the .npy and .npz files under <paramref name="folder"/> (recursively, in ordinal path order).</summary>
    public NumpyFolderDataset(string folder)
    {
        if (!Directory.Exists(folder)) ThrowHelper.Throw($"Data folder '{folder}' does not exist.");
        _files = DataFiles.Enumerate(folder, IsNumpy);
        if (_files.Count == 0) ThrowHelper.Throw($"Data folder '{folder}' holds no .npy or .npz files.");
    }

    private NumpyFolderDataset(IReadOnlyList<string> files, IReadOnlyList<int> labels)
    {
        _files = files;
        _labels = labels;
    }

    /// <summary>The samples a CSV of <c>file,label</c> lists (file relative to the folder; 0-based integer label; optional header), in its order.</summary>
    /// <param name="folder">The folder of .npy/.npz samples.</param>
    /// <param name="csvPath">The labels; every file listed must be a NumPy file inside the folder, listed once.</param>
    public static NumpyFolderDataset WithLabelsCsv(string folder, string csvPath)
    {
        if (!Directory.Exists(folder)) ThrowHelper.Throw($"Data folder '{folder}' does not exist.");
        var (files, labels) = LabelsCsv.Read(folder, csvPath, "NumPy sample (.npy, .npz)", IsNumpy);
        return new NumpyFolderDataset(files, labels);
    }

    /// <summary>Number of files.</summary>
    public override int Count => _files.Count;

    /// <summary>The class of sample <paramref name="index"/>; only with a labels CSV.</summary>
    public override int Label(int index) =>
        _labels is null ? ThrowHelper.Throw<int>("These NumPy samples have no labels; give a labels CSV (NumpyFolderDataset.WithLabelsCsv, --labels).") : _labels[index];

    /// <summary>Reads file <paramref name="index"/> as one sample.</summary>
    public override Sample Get(int index)
    {
        var file = _files[index];
        return file.EndsWith(".npz", StringComparison.OrdinalIgnoreCase)
            ? new Sample(Npy.ReadArchive(file), file)
            : Sample.Single(Npy.ReadFile(file), file);
    }

    /// <summary>True if the folder holds .npy/.npz files (and so should be read as NumPy data, not images).</summary>
    public static bool Holds(string folder) => Directory.Exists(folder) && DataFiles.Any(folder, IsNumpy);

    private static bool IsNumpy(string name) => name.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".npz", StringComparison.OrdinalIgnoreCase);
}
