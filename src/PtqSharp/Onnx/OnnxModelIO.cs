using Google.Protobuf;
using Onnx;

namespace PtqSharp.Onnx;

/// <summary>Loads and saves ONNX models. Loading never touches the input file; saving is all or nothing.</summary>
internal static class OnnxModelIO
{
    /// <summary>Reads a model and pulls any external-data initializers inline, so later stages see one self-contained proto.</summary>
    public static ModelProto Load(string path) => Load(path, out _);

    /// <summary>As <see cref="Load(string)"/>, also naming the external data files read (full paths).</summary>
    public static ModelProto Load(string path, out IReadOnlyList<string> dataFiles)
    {
        FilePaths.ThrowIfNotFile(path, "Model file");

        ModelProto model;
        using (var stream = File.OpenRead(path))
        {
            model = Parse(stream, path);
        }

        dataFiles = ExternalData.Inline(model.Graph, Path.GetDirectoryName(Path.GetFullPath(path))!, path);
        return model;
    }

    /// <summary>Parses and checks a serialized model; <paramref name="source"/> names it in errors.</summary>
    public static ModelProto Parse(byte[] bytes, string source)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return Parse(stream, source);
    }

    private static ModelProto Parse(Stream stream, string source)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            return ThrowHelper.Throw<ModelProto>(
                $"'{source}' is not a valid ONNX model (the protobuf does not parse: {e.Message}). Check that the file is an .onnx model and was copied completely.");
        }

        if (model.Graph is null || model.Graph.Node.Count == 0)
        {
            ThrowHelper.Throw($"'{source}' is not a valid ONNX model: it has no graph or the graph has no nodes. Check that the file is an .onnx model and was copied completely.");
        }

        if (model.OpsetImport.Count == 0)
        {
            ThrowHelper.Throw($"'{source}' declares no opset_import; it is not a valid ONNX model.");
        }

        return model;
    }

    /// <summary>Writes the model whole or not at all (see <see cref="AtomicFile"/>).</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">The .onnx file.</param>
    /// <param name="externalData">
    /// Store initializers of <see cref="ExternalDataThreshold"/> bytes or more in <c>name.onnx.data</c> beside the
    /// model (the ONNX external-data convention), written as a pair with it.
    /// </param>
    public static void Save(ModelProto model, string path, bool externalData = false)
    {
        if (!externalData)
        {
            AtomicFile.Write(path, model.WriteTo);
            return;
        }

        var (header, tensors) = Externalize(model, DataFileName(path));
        AtomicFile.WriteAll(
        [
            (DataFilePath(path), stream =>
            {
                foreach (var (offset, bytes) in tensors)
                {
                    stream.Write(new byte[offset - stream.Position]); // alignment padding
                    bytes.WriteTo(stream);
                }
            }),
            (path, header.WriteTo),
        ]);
    }

    /// <summary>Initializers this large or larger go to the external data file; smaller ones stay in the model.</summary>
    public const int ExternalDataThreshold = 1024;

    /// <summary>The external data file of a model written with external data: <c>name.onnx.data</c> beside it.</summary>
    public static string DataFileName(string modelPath) => Path.GetFileName(modelPath) + ".data";

    /// <summary>The full path of <see cref="DataFileName"/>: what an output written with external data adds beside the model.</summary>
    public static string DataFilePath(string modelPath) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, DataFileName(modelPath));

    /// <summary>
    /// A copy of the model whose large initializers point into the data file (location, offset, length), and their
    /// bytes with their offsets. Offsets are aligned to 64 bytes, so a runtime that maps the file reads aligned tensors.
    /// </summary>
    private static (ModelProto Header, List<(long Offset, ByteString Bytes)> Tensors) Externalize(ModelProto model, string dataName)
    {
        const int alignment = 64;
        var header = model.Clone();
        var tensors = new List<(long, ByteString)>();
        long offset = 0;
        foreach (var tensor in header.Graph.Initializer)
        {
            if (tensor.DataLocation == TensorProto.Types.DataLocation.External || tensor.RawData.Length < ExternalDataThreshold) continue;
            offset = (offset + alignment - 1) / alignment * alignment;
            tensors.Add((offset, tensor.RawData));
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = dataName });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = tensor.RawData.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            tensor.DataLocation = TensorProto.Types.DataLocation.External;
            offset += tensor.RawData.Length;
            tensor.RawData = ByteString.Empty;
        }

        return (header, tensors);
    }

    public static byte[] ToBytes(ModelProto model) => model.ToByteArray();
}
