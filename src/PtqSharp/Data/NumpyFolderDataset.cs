namespace PtqSharp.Data;

/// <summary>
/// A folder of .npy files (one sample each, for single-input models) or .npz files (one sample
/// each, arrays keyed by model input name). Samples may differ in dynamic dimensions.
/// </summary>
public sealed class NumpyFolderDataset : Dataset
{
    private readonly IReadOnlyList<string> _files;

    /// <summary>Lists the .npy and .npz files under <paramref name="folder"/> (recursively, in ordinal path order).</summary>
    public NumpyFolderDataset(string folder)
    {
        if (!Directory.Exists(folder)) ThrowHelper.Throw($"Data folder '{folder}' does not exist.");
        _files = DataFiles.Enumerate(folder, IsNumpy);
        if (_files.Count == 0) ThrowHelper.Throw($"Data folder '{folder}' holds no .npy or .npz files.");
    }

    /// <summary>Number of files.</summary>
    public override int Count => _files.Count;

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
