using System.Diagnostics;

namespace PtqSharp;

/// <summary>
/// Temporary folders named after the process that makes them (<c>ptq-weights-&lt;pid&gt;-&lt;random&gt;</c>): a run
/// killed before it could clean up (SIGKILL, the out-of-memory killer) leaves folders that the next run
/// recognizes and deletes, where the working copies of a large model's weights would otherwise stay on disk for good.
/// </summary>
internal static class TempFolders
{
    /// <summary>
    /// A stale folder is also this old, counted from its last change: a process in another PID namespace
    /// sharing the temporary folder looks dead from here, and its folder gets files at least this often.
    /// </summary>
    private static readonly TimeSpan StaleAfter = TimeSpan.FromHours(1);

    private static int _swept;

    /// <summary>A new temporary folder <paramref name="prefix"/>&lt;pid&gt;-&lt;random&gt;; the first call of a process first deletes stale ones.</summary>
    public static DirectoryInfo Create(string prefix)
    {
        if (Interlocked.Exchange(ref _swept, 1) == 0) Sweep(Path.GetTempPath(), StaleAfter);
        return Directory.CreateTempSubdirectory($"{prefix}{Environment.ProcessId}-");
    }

    /// <summary>Deletes the folders in <paramref name="root"/> named ptq-...-&lt;pid&gt;-&lt;random&gt; whose process has ended and that have not changed for <paramref name="minAge"/>.</summary>
    internal static int Sweep(string root, TimeSpan minAge)
    {
        int deleted = 0;
        try
        {
            foreach (var dir in Directory.EnumerateDirectories(root, "ptq-*"))
            {
                var parts = Path.GetFileName(dir).Split('-');
                if (parts.Length < 3 || !int.TryParse(parts[^2], out int pid) || pid == Environment.ProcessId || IsRunning(pid)) continue;
                if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(dir) < minAge) continue;
                if (TryDelete(dir)) deleted++;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return deleted;
    }

    /// <summary>Deletes a folder and what it holds; false when it cannot now (another user's, or a file still open, as a session's on Windows), which is left to the system's temporary-file cleanup.</summary>
    public static bool TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }
}
