namespace PtqSharp.Data;

/// <summary>A dataset whose samples carry an integer class label, for accuracy metrics.</summary>
public abstract class LabeledDataset : Dataset
{
    /// <summary>The 0-based class of sample <paramref name="index"/>.</summary>
    public abstract int Label(int index);

    /// <summary>Class names by label index, when known (folder names), for reports.</summary>
    public virtual IReadOnlyList<string>? ClassNames => null;
}
