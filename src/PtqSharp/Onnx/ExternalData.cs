using Google.Protobuf;
using Onnx;

namespace PtqSharp.Onnx;

/// <summary>Resolves initializers stored in external data files (the ONNX convention for models over 2 GB).</summary>
internal static class ExternalData
{
    public static void Inline(GraphProto graph, string baseDirectory, string modelPath)
    {
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

            var file = Path.Combine(baseDirectory, location);
            if (!File.Exists(file))
            {
                ThrowHelper.Throw($"Initializer '{tensor.Name}' of '{modelPath}' lives in external data file '{file}', which does not exist. Keep the data file next to the model.");
            }

            long offset = entries.TryGetValue("offset", out var o) ? long.Parse(o) : 0;
            using var stream = File.OpenRead(file);
            long length = entries.TryGetValue("length", out var l) ? long.Parse(l) : stream.Length - offset;
            if (offset + length > stream.Length)
            {
                ThrowHelper.Throw($"External data for initializer '{tensor.Name}' runs past the end of '{file}' (offset {offset}, length {length}, file {stream.Length} bytes): the file is truncated.");
            }

            var bytes = new byte[length];
            stream.Seek(offset, SeekOrigin.Begin);
            stream.ReadExactly(bytes);
            tensor.RawData = ByteString.CopyFrom(bytes);
            tensor.ExternalData.Clear();
            tensor.DataLocation = TensorProto.Types.DataLocation.Default;
        }
    }
}
