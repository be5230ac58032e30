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
}
