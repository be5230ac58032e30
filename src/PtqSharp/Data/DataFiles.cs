namespace PtqSharp.Data;

/// <summary>
/// The files under a data folder, recursively. Linked folders are followed once each: a link back to a
/// folder already walked (a loop, or a second link to the same place) is skipped, so no folder can make
/// the walk endless or count its samples twice. A matching file that is empty, which is also how FIFOs
/// and devices show, is an error naming it rather than a read that blocks or fails later.
/// </summary>
internal static class DataFiles
{
    /// <param name="folder">The data folder; its existence is checked by the caller.</param>
    /// <param name="wanted">Whether a file name is one the dataset reads.</param>
    public static List<string> Enumerate(string folder, Func<string, bool> wanted)
    {
        var files = new List<string>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<(string Path, string Canonical)>();
        var root = new DirectoryInfo(Path.GetFullPath(folder));
        pending.Push((root.FullName, Canonical(root)));
        while (pending.Count > 0)
        {
            var (path, canonical) = pending.Pop();
            if (!visited.Add(canonical)) continue;
            var directory = new DirectoryInfo(path);
            foreach (var file in directory.EnumerateFiles())
            {
                if (!wanted(file.Name)) continue;
                FilePaths.ThrowIfNotFile(file.FullName, "Data file");
                files.Add(file.FullName);
            }

            foreach (var sub in directory.EnumerateDirectories())
            {
                pending.Push((sub.FullName, sub.LinkTarget is null ? Path.Combine(canonical, sub.Name) : Canonical(sub)));
            }
        }

        return files.OrderBy(f => f, StringComparer.Ordinal).ToList();
    }

    /// <summary>Where a folder really is: its link's final target, or its own full path.</summary>
    private static string Canonical(DirectoryInfo directory) =>
        Path.TrimEndingDirectorySeparator(directory.LinkTarget is null ? directory.FullName : directory.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? directory.FullName);
}
