namespace PtqSharp.Data;

/// <summary>
/// Samples for calibration or validation, read lazily by index so only the chosen subset is ever
/// decoded. Build one from files (<see cref="ImageFolderDataset"/>, <see cref="NumpyFolderDataset"/>)
/// or from any list of items plus a transform, as with <c>nncf.Dataset</c>.
/// </summary>
public abstract class Dataset
{
    /// <summary>Number of samples.</summary>
    public abstract int Count { get; }

    /// <summary>Loads sample <paramref name="index"/>; called once per use, so implementations need not cache.</summary>
    public abstract Sample Get(int index);

    /// <summary>Wraps items that a transform turns into samples, e.g. file paths or records.</summary>
    public static Dataset FromList<T>(IReadOnlyList<T> items, Func<T, Sample> transform) => new ListDataset<T>(items, transform);

    /// <summary>
    /// Wraps an enumerable. The items (not the samples) are buffered to allow random access, so pass
    /// light items such as paths and let the transform do the heavy work.
    /// </summary>
    public static Dataset FromEnumerable<T>(IEnumerable<T> items, Func<T, Sample> transform) => new ListDataset<T>(items.ToList(), transform);

    /// <summary>Single-input samples given directly as tensors.</summary>
    public static Dataset FromTensors(IReadOnlyList<SampleTensor> tensors) => new ListDataset<SampleTensor>(tensors, t => Sample.Single(t));

    private sealed class ListDataset<T>(IReadOnlyList<T> items, Func<T, Sample> transform) : Dataset
    {
        public override int Count => items.Count;

        public override Sample Get(int index) => transform(items[index]);
    }
}
