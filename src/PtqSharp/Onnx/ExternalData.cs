using System.Globalization;
using Onnx;

namespace PtqSharp.Onnx;

/// <summary>
/// Initializers stored in external data files (the ONNX convention for models over 2 GB). They stay on disk: a
/// loaded model keeps each one as a reference (full path, offset, length) and its bytes are read only when a
/// stage needs that one tensor, so memory follows the largest tensor rather than the model.
/// </summary>
/// <remarks>
/// In memory the location is the data file's full path, which no file PtqSharp writes ever carries:
/// <see cref="OnnxModelIO.Save"/> copies the bytes into the output, and sessions get paths relative to a folder
/// (<see cref="Execution.SessionFactory"/>).
/// </remarks>
internal static class ExternalData
{
    public const string Location = "location";
    public const string Offset = "offset";
    public const string Length = "length";

    /// <summary>
    /// The offset the next tensor written to a data file at <paramref name="position"/> starts at: a multiple of 64 bytes,
    /// so a runtime that maps the file reads aligned tensors. The bytes in between are padding.
    /// </summary>
    public static long AlignedOffset(long position) => (position + 63) / 64 * 64;

    /// <summary>Whether the tensor's bytes live in a file rather than in the proto.</summary>
    public static bool IsExternal(TensorProto tensor) => tensor.DataLocation == TensorProto.Types.DataLocation.External;

    /// <summary>
    /// Checks every external reference of the graph (location inside the model's folder, a regular file, offset and
    /// length within it, as many bytes as the tensor's shape needs) and makes its location a full path.
    /// </summary>
    /// <returns>The external data files referenced, as full paths.</returns>
    public static IReadOnlyList<string> Resolve(GraphProto graph, string baseDirectory, string modelPath)
    {
        var files = new HashSet<string>(FilePaths.Comparison == StringComparison.Ordinal ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
        var lengths = new Dictionary<string, long>(files.Comparer);
        foreach (var tensor in graph.Initializer)
        {
            if (!IsExternal(tensor))
            {
                continue;
            }

            var entries = new Dictionary<string, string>();
            foreach (var e in tensor.ExternalData) entries[e.Key] = e.Value;
            if (!entries.TryGetValue(Location, out var location) || location.Length == 0)
            {
                ThrowHelper.Throw($"Initializer '{tensor.Name}' in '{modelPath}' is stored externally but names no location.");
            }

            // ONNX and ONNX Runtime keep external data beside the model: a location must not lead out of its folder.
            var file = Path.Combine(baseDirectory, location);
            if (Path.IsPathRooted(location) || !FilePaths.IsWithin(FilePaths.Real(file), FilePaths.Real(baseDirectory)))
            {
                ThrowHelper.Throw($"Initializer '{tensor.Name}' of '{modelPath}' names external data '{location}', outside the model's folder; external data must be a file beside the model or below its folder.");
            }

            if (!File.Exists(file) && !Directory.Exists(file))
            {
                ThrowHelper.Throw($"Initializer '{tensor.Name}' of '{modelPath}' lives in external data file '{file}', which does not exist. Keep the data file next to the model.");
            }

            file = Path.GetFullPath(file);
            if (!lengths.TryGetValue(file, out long fileLength))
            {
                // A folder, a FIFO or a device named as external data would fail or block when read.
                FilePaths.ThrowIfNotFile(file, $"External data of initializer '{tensor.Name}' of '{modelPath}'");
                lengths[file] = fileLength = new FileInfo(file).Length;
            }

            long Field(string key, long otherwise) =>
                !entries.TryGetValue(key, out var text) ? otherwise
                : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value
                : ThrowHelper.Throw<long>($"Initializer '{tensor.Name}' of '{modelPath}': external data {key} '{text}' is not a non-negative whole number.");

            files.Add(file);
            long offset = Field(Offset, 0);
            long length = Field(Length, fileLength - offset);
            if (offset > fileLength || length < 0 || offset + length > fileLength)
            {
                ThrowHelper.Throw($"External data for initializer '{tensor.Name}' runs past the end of '{file}' (offset {offset}, length {length}, file {fileLength} bytes): the file is truncated or the offsets are wrong.");
            }

            long? expected = TensorData.ByteCount(tensor);
            if (expected is null)
            {
                ThrowHelper.Throw($"Initializer '{tensor.Name}' of '{modelPath}' is stored externally with element type {TensorData.TypeName(tensor.DataType)}, which PtqSharp cannot read from external data.");
            }

            if (expected != length)
            {
                ThrowHelper.Throw($"External data for initializer '{tensor.Name}' of '{modelPath}' holds {length} bytes, but its shape [{string.Join(", ", tensor.Dims)}] of {TensorData.TypeName(tensor.DataType)} needs {expected}: the data file does not belong to this model or is damaged. Re-export the model.");
            }

            Point(tensor, file, offset, length);
        }

        return files.ToList();
    }

    /// <summary>
    /// Makes <paramref name="tensor"/> a reference to <paramref name="length"/> bytes at <paramref name="offset"/> of
    /// <paramref name="file"/>: a full path in memory, a path relative to the model in what is written or given to the runtime.
    /// </summary>
    public static void Point(TensorProto tensor, string file, long offset, long length)
    {
        tensor.RawData = Google.Protobuf.ByteString.Empty;
        tensor.ExternalData.Clear();
        tensor.ExternalData.Add(new StringStringEntryProto { Key = Location, Value = file });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = Offset, Value = offset.ToString(CultureInfo.InvariantCulture) });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = Length, Value = length.ToString(CultureInfo.InvariantCulture) });
        tensor.DataLocation = TensorProto.Types.DataLocation.External;
    }

    /// <summary>Where a resolved reference points: the data file's full path, the offset and the byte count.</summary>
    public static (string File, long Offset, long Length) Reference(TensorProto tensor)
    {
        string? file = null;
        long offset = 0, length = -1;
        foreach (var e in tensor.ExternalData)
        {
            switch (e.Key)
            {
                case Location: file = e.Value; break;
                case Offset: offset = long.Parse(e.Value, CultureInfo.InvariantCulture); break;
                case Length: length = long.Parse(e.Value, CultureInfo.InvariantCulture); break;
            }
        }

        if (file is null || length < 0 || !Path.IsPathRooted(file))
        {
            ThrowHelper.Throw($"Initializer '{tensor.Name}' refers to external data that was not resolved; load models with OnnxModel.Load.");
        }

        return (file!, offset, length);
    }

    /// <summary>Reads a resolved tensor's bytes (one tensor at a time is what bounds memory).</summary>
    public static byte[] Read(TensorProto tensor)
    {
        var bytes = new byte[ReadableLength(tensor)];
        ReadInto(tensor, bytes);
        return bytes;
    }

    /// <summary>Reads a resolved float32 tensor straight into a float array, without a byte copy in between.</summary>
    public static float[] ReadFloats(TensorProto tensor)
    {
        var values = new float[ReadableLength(tensor) / sizeof(float)];
        ReadInto(tensor, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    private static long ReadableLength(TensorProto tensor)
    {
        long length = Reference(tensor).Length;
        if (length > Array.MaxLength)
        {
            ThrowHelper.Throw($"Initializer '{tensor.Name}' holds {length} bytes of external data; a single tensor over {Array.MaxLength} bytes cannot be read into memory.");
        }

        Pace(length);
        return length;
    }

    private static long _readSinceCollection;

    /// <summary>
    /// Bounds the garbage of passes over a large model's weights. Each tensor read (and what a stage derives from it)
    /// is garbage once the stage moves to the next one, but on a machine with memory to spare the collector lets
    /// gigabytes of such large arrays pile up before it runs; collecting after every 256 MiB read keeps resident memory
    /// near what the stages hold live. Models with inline weights never get here.
    /// </summary>
    private static void Pace(long bytes)
    {
        const long budget = 256L << 20;
        if (Interlocked.Add(ref _readSinceCollection, bytes) < budget) return;
        Interlocked.Exchange(ref _readSinceCollection, 0);
        GC.Collect();
    }

    private static void ReadInto(TensorProto tensor, Span<byte> bytes)
    {
        var (file, offset, _) = Reference(tensor);
        try
        {
            using var handle = File.OpenHandle(file);
            int read = 0;
            while (read < bytes.Length)
            {
                int n = RandomAccess.Read(handle, bytes[read..], offset + read);
                if (n == 0) ThrowHelper.Throw($"External data file '{file}' became shorter while initializer '{tensor.Name}' was read from it; it was changed during the run.");
                read += n;
            }
        }
        catch (IOException e)
        {
            ThrowHelper.Throw($"Could not read initializer '{tensor.Name}' from external data file '{file}': {e.Message}");
        }
    }

    /// <summary>Copies a resolved tensor's bytes to <paramref name="destination"/> in blocks, without holding the tensor.</summary>
    public static void CopyTo(TensorProto tensor, Stream destination)
    {
        var (file, offset, length) = Reference(tensor);
        using var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        source.Seek(offset, SeekOrigin.Begin);
        var buffer = new byte[1 << 20];
        for (long left = length; left > 0;)
        {
            int n = source.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0) ThrowHelper.Throw($"External data file '{file}' became shorter while initializer '{tensor.Name}' was copied from it; it was changed during the run.");
            destination.Write(buffer, 0, n);
            left -= n;
        }
    }

    /// <summary>The distinct folders the model's external data lives in.</summary>
    public static IReadOnlyList<string> Folders(ModelProto model) =>
        model.Graph.Initializer.Where(IsExternal).Select(t => Path.GetDirectoryName(Reference(t).File)!).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>
    /// A copy of the model whose external locations are relative to <paramref name="folder"/>, the form ONNX Runtime
    /// accepts (it refuses full paths); every external file must lie in that folder.
    /// </summary>
    public static ModelProto RelativeTo(ModelProto model, string folder)
    {
        var copy = model.Clone();
        foreach (var tensor in copy.Graph.Initializer.Where(IsExternal))
        {
            var (file, offset, length) = Reference(tensor);
            Point(tensor, Path.GetRelativePath(folder, file), offset, length);
        }

        return copy;
    }

    /// <summary>Pulls every external tensor of the model inline (for models small enough to be one protobuf).</summary>
    public static void Inline(ModelProto model)
    {
        foreach (var tensor in model.Graph.Initializer.Where(IsExternal))
        {
            var bytes = Read(tensor);
            tensor.ExternalData.Clear();
            tensor.DataLocation = TensorProto.Types.DataLocation.Default;
            tensor.RawData = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(bytes); // the array is ours alone
        }
    }
}
