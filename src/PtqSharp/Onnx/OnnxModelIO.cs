using Google.Protobuf;
using Onnx;

namespace PtqSharp.Onnx;

/// <summary>Loads and saves ONNX models. Loading never touches the input file; saving is all or nothing.</summary>
internal static class OnnxModelIO
{
    /// <summary>
    /// Reads a model; initializers in external data files stay there, checked and referenced by full path
    /// (<see cref="ExternalData"/>), so a model of any size loads in the memory of its graph.
    /// </summary>
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

        dataFiles = ExternalData.Resolve(model.Graph, Path.GetDirectoryName(Path.GetFullPath(path))!, path);
        Sources.AddOrUpdate(model, Path.GetFullPath(path));
        return model;
    }

    // Models as loaded, with their files: nothing modifies a loaded model (stages work on copies), so a session for one
    // can be made from its file, as ONNX Runtime prefers, instead of from a serialized copy in memory.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ModelProto, string> Sources = new();

    /// <summary>The file <paramref name="model"/> was loaded from, if it is a model as loaded; null for any other.</summary>
    public static string? SourcePath(ModelProto model) => Sources.TryGetValue(model, out var path) ? path : null;

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
    /// model (the ONNX external-data convention), written as a pair with it. Models too large for one protobuf
    /// (<see cref="NeedsExternalData"/>) are always written this way.
    /// </param>
    public static void Save(ModelProto model, string path, bool externalData = false)
    {
        if (!externalData && !NeedsExternalData(model))
        {
            AtomicFile.Write(path, WithWeightsInline(model).WriteTo);
            return;
        }

        var (header, tensors) = Externalize(model, DataFileName(path));
        AtomicFile.WriteAll(
        [
            (DataFilePath(path), stream =>
            {
                // One tensor at a time: inline bytes are the model's own, external ones are copied from their file in blocks.
                foreach (var (offset, tensor) in tensors)
                {
                    stream.Write(new byte[offset - stream.Position]); // alignment padding
                    if (ExternalData.IsExternal(tensor)) ExternalData.CopyTo(tensor, stream);
                    else tensor.RawData.WriteTo(stream);
                }
            }),
            (path, header.WriteTo),
        ]);
    }

    /// <summary>Protobuf's limit for one message, less a margin for the graph: larger models can only be written with external data.</summary>
    public const long SingleFileLimit = 2_000_000_000;

    /// <summary>Whether the model, written as one file, would pass protobuf's 2 GB limit.</summary>
    public static bool NeedsExternalData(ModelProto model) => SizeOf(model) >= SingleFileLimit;

    /// <summary>The model's size with its weights, as one file would hold it: external tensors counted inline.</summary>
    public static long SizeOf(ModelProto model)
    {
        long size = SerializedSize(model);
        foreach (var tensor in model.Graph.Initializer.Where(ExternalData.IsExternal))
        {
            // The reference's entries (a full path in memory) give way to the bytes and their field header.
            var shell = tensor.Clone();
            shell.ExternalData.Clear();
            shell.DataLocation = TensorProto.Types.DataLocation.Default;
            long length = ExternalData.Reference(tensor).Length;
            size += shell.CalculateSize() + 1 + CodedOutputStream.ComputeInt64Size(length) + length - tensor.CalculateSize();
        }

        return size;
    }

    /// <summary>
    /// The protobuf's size in bytes, counted tensor by tensor: protobuf's own count is an int and overflows for models
    /// past 2 GB, which are the ones that need counting.
    /// </summary>
    public static long SerializedSize(ModelProto model)
    {
        long initializers = model.Graph.Initializer.Sum(t => (long)t.CalculateSize() + 6); // each with its field tag and length
        if (initializers < int.MaxValue / 2) return model.CalculateSize();
        var shell = model.Clone(); // shares the tensors' bytes
        shell.Graph.Initializer.Clear();
        return shell.CalculateSize() + initializers;
    }

    /// <summary>Initializers this large or larger go to the external data file; smaller ones stay in the model.</summary>
    public const int ExternalDataThreshold = 1024;

    /// <summary>The external data file of a model written with external data: <c>name.onnx.data</c> beside it.</summary>
    public static string DataFileName(string modelPath) => Path.GetFileName(modelPath) + ".data";

    /// <summary>The full path of <see cref="DataFileName"/>: what an output written with external data adds beside the model.</summary>
    public static string DataFilePath(string modelPath) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, DataFileName(modelPath));

    /// <summary>
    /// A copy of the model whose large initializers point into the data file (location, offset, length), and the
    /// tensors whose bytes go there at those offsets (<see cref="ExternalData.AlignedOffset"/>).
    /// </summary>
    private static (ModelProto Header, List<(long Offset, TensorProto Tensor)> Tensors) Externalize(ModelProto model, string dataName)
    {
        var header = model.Clone();
        var tensors = new List<(long, TensorProto)>();
        long offset = 0;
        foreach (var (source, tensor) in model.Graph.Initializer.Zip(header.Graph.Initializer))
        {
            long length = ExternalData.IsExternal(source) ? ExternalData.Reference(source).Length : source.RawData.Length;
            if (!ExternalData.IsExternal(source) && length < ExternalDataThreshold) continue;
            offset = ExternalData.AlignedOffset(offset);
            tensors.Add((offset, source));
            ExternalData.Point(tensor, dataName, offset, length);
            offset += length;
        }

        return (header, tensors);
    }

    /// <summary>The serialized model, external tensors pulled inline; for models under <see cref="SingleFileLimit"/>.</summary>
    public static byte[] ToBytes(ModelProto model)
    {
        if (NeedsExternalData(model))
        {
            ThrowHelper.Throw($"The model holds {ByteSize.Format(SizeOf(model))}, more than one protobuf can: save it with external data and load it from its path.");
        }

        return WithWeightsInline(model).ToByteArray();
    }

    /// <summary>The model itself when it holds all its weights, else a copy with its external tensors read inline.</summary>
    private static ModelProto WithWeightsInline(ModelProto model)
    {
        if (!model.Graph.Initializer.Any(ExternalData.IsExternal)) return model;
        var whole = model.Clone(); // tensors share their bytes with the model; only the external ones are read
        ExternalData.Inline(whole);
        return whole;
    }
}
