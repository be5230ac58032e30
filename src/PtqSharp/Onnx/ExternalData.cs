using Google.Protobuf;
using Onnx;

namespace PtqSharp.Onnx;

/// <summary>Resolves initializers stored in external data files (the ONNX convention for models over 2 GB).</summary>
internal static class ExternalData
{
    /// <returns>The external data files read, as full paths.</returns>
    public static IReadOnlyList<string> Inline(GraphProto graph, string baseDirectory, string modelPath)
    {
        var files = new HashSet<string>(FilePaths.Comparison == StringComparison.Ordinal ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);
        foreach (var tensor in graph.Initializer)
        {
            if (tensor.DataLocation != TensorProto.Types.DataLocation.External)
            {
                continue;
            }

            var entries = tensor.ExternalData.ToDictionary(e => e.Key, e => e.Value);
            if (!entries.TryGetValue("location", out var location))
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

            // A folder, a FIFO or a device named as external data would fail or block when read.
            FilePaths.ThrowIfNotFile(file, $"External data of initializer '{tensor.Name}' of '{modelPath}'");

            long Field(string key, long otherwise) =>
                !entries.TryGetValue(key, out var text) ? otherwise
                : long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value
                : ThrowHelper.Throw<long>($"Initializer '{tensor.Name}' of '{modelPath}': external data {key} '{text}' is not a non-negative whole number.");

            files.Add(Path.GetFullPath(file));
            long offset = Field("offset", 0);
            using var stream = File.OpenRead(file);
            long length = Field("length", stream.Length - offset);
            if (offset > stream.Length || length < 0 || offset + length > stream.Length)
            {
                ThrowHelper.Throw($"External data for initializer '{tensor.Name}' runs past the end of '{file}' (offset {offset}, length {length}, file {stream.Length} bytes): the file is truncated or the offsets are wrong.");
            }

            if (length > Array.MaxLength)
            {
                ThrowHelper.Throw($"Initializer '{tensor.Name}' of '{modelPath}' holds {length} bytes of external data; tensors over {Array.MaxLength} bytes are not supported yet.");
            }

            var bytes = new byte[length];
            stream.Seek(offset, SeekOrigin.Begin);
            stream.ReadExactly(bytes);
            tensor.RawData = ByteString.CopyFrom(bytes);
            tensor.ExternalData.Clear();
            tensor.DataLocation = TensorProto.Types.DataLocation.Default;
        }

        return files.ToList();
    }
}
