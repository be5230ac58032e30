using Google.Protobuf;
using Onnx;

namespace PtqSharp.Onnx;

/// <summary>Loads and saves ONNX models. Loading never touches the input file; saving is all or nothing.</summary>
public static class OnnxModelIO
{
    /// <summary>Reads a model and pulls any external-data initializers inline, so later stages see one self-contained proto.</summary>
    public static ModelProto Load(string path)
    {
        if (!File.Exists(path))
        {
            ThrowHelper.Throw($"Model file '{path}' does not exist.");
        }

        ModelProto model;
        try
        {
            using var stream = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            return ThrowHelper.Throw<ModelProto>(
                $"'{path}' is not a valid ONNX model (the protobuf does not parse: {e.Message}). Check that the file is an .onnx model and was copied completely.");
        }

        if (model.Graph is null || model.Graph.Node.Count == 0)
        {
            ThrowHelper.Throw($"'{path}' is not a valid ONNX model: it has no graph or the graph has no nodes. Check that the file is an .onnx model and was copied completely.");
        }

        if (model.OpsetImport.Count == 0)
        {
            ThrowHelper.Throw($"'{path}' declares no opset_import; it is not a valid ONNX model.");
        }

        ExternalData.Inline(model.Graph, Path.GetDirectoryName(Path.GetFullPath(path))!, path);
        return model;
    }

    /// <summary>Writes the model whole or not at all (see <see cref="AtomicFile"/>).</summary>
    public static void Save(ModelProto model, string path) => AtomicFile.Write(path, model.WriteTo);

    public static byte[] ToBytes(ModelProto model) => model.ToByteArray();
}
