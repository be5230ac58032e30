namespace PtqSharp.Data;

/// <summary>
/// The files under a data folder, recursively. Linked folders are followed once each: a link back to a
/// folder already walked (a loop, or a second link to the same place) is skipped, so no folder can make
/// the walk endless or count its samples twice. A matching file that is empty, which is also how FIFOs
/// and devices show, is an error naming it rather than a read that blocks or fails later.
/// </summary>
internal static class DataFiles
{
    /// <summary>The wanted files under <paramref name="folder"/>, in ordinal path order.</summary>
    /// <param name="folder">The data folder; its existence is checked by the caller.</param>
    /// <param name="wanted">Whether a file name is one the dataset reads.</param>
    public static List<string> Enumerate(string folder, Func<string, bool> wanted) =>
        Walk(folder, wanted).Order(StringComparer.Ordinal).ToList();

    /// <summary>Whether <paramref name="folder"/> holds a wanted file; stops at the first one.</summary>
    public static bool Any(string folder, Func<string, bool> wanted) => Walk(folder, wanted).Any();

    private static IEnumerable<string> Walk(string folder, Func<string, bool> wanted)
    {
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<(string Path, string Real)>();
        var root = Path.GetFullPath(folder);
        pending.Push((root, FilePaths.Real(root)));
        while (pending.Count > 0)
        {
            var (path, real) = pending.Pop();
            if (!visited.Add(real)) continue;
            var directory = new DirectoryInfo(path);
            foreach (var file in directory.EnumerateFiles())
            {
                if (!wanted(file.Name)) continue;
                FilePaths.ThrowIfNotFile(file.FullName, "Data file");
                yield return file.FullName;
            }

            // Below a real folder, a plain subfolder's real path is its name appended; a linked one is resolved.
            foreach (var sub in directory.EnumerateDirectories())
            {
                pending.Push((sub.FullName, sub.LinkTarget is null ? Path.Combine(real, sub.Name) : FilePaths.Real(sub.FullName)));
            }
        }
    }
}
