namespace PtqSharp.Cli;

/// <summary>
/// Every file a command writes is checked against every file and folder it reads, before any work:
/// paths are compared where they really lead (full path, links followed, parent folder links too), so
/// no output, companion files included, can replace an input or land in a data folder. The output
/// folder must also be writable. Hard links are not detected (.NET exposes no inode).
/// </summary>
internal static class OutputGuard
{
    /// <param name="outputs">Each file to be written, with the option or rule that named it.</param>
    /// <param name="inputs">Each file or folder read, with its option; null paths are skipped.</param>
    public static void Check(IEnumerable<(string What, string Path)> outputs, IEnumerable<(string What, string? Path)> inputs)
    {
        var read = inputs.Where(i => i.Path is not null).Select(i => (i.What, Real: Real(i.Path!), IsFolder: Directory.Exists(i.Path))).ToList();
        foreach (var (what, path) in outputs)
        {
            var real = Real(path);
            foreach (var input in read)
            {
                bool same = string.Equals(real, input.Real, PathComparison);
                bool inside = input.IsFolder && real.StartsWith(input.Real + Path.DirectorySeparatorChar, PathComparison);
                if (same || inside)
                {
                    throw new PtqException($"{what} '{path}' {(same ? "is" : "is inside")} {input.What} ('{input.Real}'): choose another path so the input is kept.");
                }
            }

            ThrowIfNotWritable(what, path);
        }
    }

    /// <summary>Where a path really leads: full, with the file's and its folders' links followed.</summary>
    private static string Real(string path)
    {
        var full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));
        var parent = System.IO.Path.GetDirectoryName(full);
        string resolvedParent = parent is null ? "" : Real(parent);
        var candidate = parent is null ? full : System.IO.Path.Combine(resolvedParent, System.IO.Path.GetFileName(full));
        FileSystemInfo info = Directory.Exists(candidate) ? new DirectoryInfo(candidate) : new FileInfo(candidate);
        return info.LinkTarget is null ? candidate : Real(info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? candidate);
    }

    private static void ThrowIfNotWritable(string what, string path)
    {
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var existing = folder;
        while (!Directory.Exists(existing)) existing = System.IO.Path.GetDirectoryName(existing) ?? throw new PtqException($"{what} '{path}': no folder of it exists.");
        var probe = System.IO.Path.Combine(existing, $".ptq-write-check-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PtqException($"{what} '{path}': folder '{existing}' cannot be written ({e.Message}); choose a writable folder.", e);
        }
    }

    private static StringComparison PathComparison => OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
}
