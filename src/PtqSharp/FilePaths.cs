namespace PtqSharp;

/// <summary>Paths as they really lead, for deciding whether two paths are one file or one lies inside a folder.</summary>
internal static class FilePaths
{
    /// <summary>The full path with every link on the way followed: the file's own and its folders'.</summary>
    public static string Real(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var parent = Path.GetDirectoryName(full);
        var candidate = parent is null ? full : Path.Combine(Real(parent), Path.GetFileName(full));
        FileSystemInfo info = Directory.Exists(candidate) ? new DirectoryInfo(candidate) : new FileInfo(candidate);
        return info.LinkTarget is null ? candidate : Real(info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? candidate);
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="folder"/> or inside it (both real paths).</summary>
    public static bool IsWithin(string path, string folder) =>
        string.Equals(path, folder, Comparison) || path.StartsWith(Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar, Comparison);

    /// <summary>How this platform's file system compares names.</summary>
    public static StringComparison Comparison => OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>
    /// Refuses, naming <paramref name="what"/>, a path that is not a readable regular file: missing, a folder,
    /// a link to nothing, or empty (which is also how a FIFO or a device shows, and opening one could block).
    /// </summary>
    public static void ThrowIfNotFile(string path, string what)
    {
        if (Directory.Exists(path)) ThrowHelper.Throw($"{what} '{path}' is a folder; give the file itself.");
        var info = new FileInfo(path);
        if (info.LinkTarget is { } target && info.ResolveLinkTarget(returnFinalTarget: true) is not { Exists: true })
        {
            ThrowHelper.Throw($"{what} '{path}' is a link to nothing ('{target}').");
        }

        if (!info.Exists) ThrowHelper.Throw($"{what} '{path}' does not exist.");

        if (info.Length == 0) ThrowHelper.Throw($"{what} '{path}' is empty, or not a regular file (a FIFO or device).");
    }
}
