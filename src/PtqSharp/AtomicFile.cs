namespace PtqSharp;

/// <summary>
/// Writes to a temporary file beside the target, flushes it to disk and moves it into place, so a
/// failure leaves either the old file or nothing, never half a file; the temporary file is removed on
/// any error or cancellation.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = File.Create(temp))
            {
                write(stream);

                // On disk before the rename, so a crash cannot leave the new name on an empty file.
                if (stream.CanWrite) stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// Writes several files as one: every temporary file is complete and on disk before any is moved into place, in
    /// the order given (a model's external data before the model that points into it). A failure while writing
    /// leaves all the old files; all temporary files are removed.
    /// </summary>
    public static void WriteAll(IReadOnlyList<(string Path, Action<Stream> Write)> files)
    {
        var staged = new List<(string Temp, string Full)>();
        try
        {
            foreach (var (path, write) in files)
            {
                var full = Path.GetFullPath(path);
                var dir = Path.GetDirectoryName(full)!;
                Directory.CreateDirectory(dir);
                var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
                staged.Add((temp, full));
                using var stream = File.Create(temp);
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            foreach (var (temp, full) in staged) File.Move(temp, full, overwrite: true);
        }
        finally
        {
            foreach (var (temp, _) in staged)
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
        }
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(text);
        });
}
