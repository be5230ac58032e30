using Google.Protobuf;
using Onnx;

namespace PtqSharp.Onnx;

/// <summary>Loads and saves ONNX models. Loading never touches the input file; saving is all or nothing.</summary>
internal static class OnnxModelIO
{
    /// <summary>Reads a model and pulls any external-data initializers inline, so later stages see one self-contained proto.</summary>
    public static ModelProto Load(string path)
    {
        FilePaths.ThrowIfNotFile(path, "Model file");

        ModelProto model;
        using (var stream = File.OpenRead(path))
        {
            model = Parse(stream, path);
        }

        ExternalData.Inline(model.Graph, Path.GetDirectoryName(Path.GetFullPath(path))!, path);
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
    public static void Save(ModelProto model, string path) => AtomicFile.Write(path, model.WriteTo);

    public static byte[] ToBytes(ModelProto model) => model.ToByteArray();
}
