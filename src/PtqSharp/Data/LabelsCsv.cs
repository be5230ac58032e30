namespace PtqSharp.Data;

/// <summary>
/// A <c>file,label</c> CSV for a data folder (an optional header row; file relative to the folder; 0-based
/// integer class). Checked whole before any sample is read: every file must exist inside the folder and be
/// of the data kind, listed once, with a non-negative label (labels past the model's classes are refused by the metric).
/// </summary>
internal static class LabelsCsv
{
    /// <param name="folder">The data folder the files are relative to.</param>
    /// <param name="csvPath">The CSV.</param>
    /// <param name="kind">What the files are, for messages ("image", "NumPy sample").</param>
    /// <param name="isDataFile">Whether a file name is of the data kind.</param>
    public static (List<string> Files, List<int> Labels) Read(string folder, string csvPath, string kind, Func<string, bool> isDataFile)
    {
        FilePaths.ThrowIfNotFile(csvPath, "Labels file");
        var root = FilePaths.Real(folder);
        var files = new List<string>();
        var labels = new List<int>();
        var seen = new Dictionary<string, int>(FilePaths.Comparison == StringComparison.Ordinal ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
        int lineNo = 0;
        foreach (var line in File.ReadLines(csvPath))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var parts = line.Split(',', 2, StringSplitOptions.TrimEntries);
            int label = 0;
            if (parts.Length != 2 || !int.TryParse(parts[1], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out label))
            {
                if (lineNo == 1) continue; // header
                ThrowHelper.Throw($"{csvPath}:{lineNo}: expected 'file,label' with an integer label, got '{line}'.");
            }

            if (label < 0) ThrowHelper.Throw($"{csvPath}:{lineNo}: label {label} is negative; labels are 0-based class indices.");
            var file = Path.Combine(folder, parts[0]);
            if (Path.IsPathRooted(parts[0]) || !FilePaths.IsWithin(FilePaths.Real(file), root))
            {
                ThrowHelper.Throw($"{csvPath}:{lineNo}: '{parts[0]}' is outside the data folder '{folder}'; list files relative to it.");
            }

            if (!isDataFile(file)) ThrowHelper.Throw($"{csvPath}:{lineNo}: '{parts[0]}' is not a {kind} file.");
            if (!File.Exists(file)) ThrowHelper.Throw($"{csvPath}:{lineNo}: {kind} '{file}' does not exist.");
            if (seen.TryGetValue(FilePaths.Real(file), out int first))
            {
                ThrowHelper.Throw($"{csvPath}:{lineNo}: '{parts[0]}' is listed a second time (first on line {first}); give each file one label.");
            }

            seen.Add(FilePaths.Real(file), lineNo);
            files.Add(file);
            labels.Add(label);
        }

        if (files.Count == 0) ThrowHelper.Throw($"Labels file '{csvPath}' lists no {kind} files.");
        return (files, labels);
    }
}
