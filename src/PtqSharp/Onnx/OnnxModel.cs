using Google.Protobuf;
using Onnx;

namespace PtqSharp.Onnx;

/// <summary>
/// An ONNX model in memory: load one, hand it to <see cref="Quantization.Quantizer"/>, save what comes
/// back. Loading never modifies the file; saving writes the whole model or nothing.
/// </summary>
public sealed class OnnxModel
{
    internal OnnxModel(ModelProto proto) => Proto = proto;

    /// <summary>The protobuf behind the model; PtqSharp never modifies a model it was given.</summary>
    internal ModelProto Proto { get; }

    /// <summary>Reads a model, with any external-data initializers pulled inline.</summary>
    /// <param name="path">The .onnx file.</param>
    /// <exception cref="PtqException">The file is missing, not an ONNX model, or its external data is missing or short.</exception>
    public static OnnxModel Load(string path) => new(OnnxModelIO.Load(path));

    /// <summary>Parses a serialized model, e.g. one embedded as a resource.</summary>
    /// <param name="bytes">The model's protobuf bytes.</param>
    /// <param name="source">A name for the model in error messages.</param>
    /// <exception cref="PtqException">The bytes are not an ONNX model.</exception>
    public static OnnxModel FromBytes(byte[] bytes, string source = "model") => new(OnnxModelIO.Parse(bytes, source));

    /// <summary>Writes the model to <paramref name="path"/> whole or not at all (a temporary file moved into place).</summary>
    /// <param name="path">Where to write; an existing file is replaced only once the new one is complete.</param>
    public void Save(string path) => OnnxModelIO.Save(Proto, path);

    /// <summary>The serialized model, e.g. to create an ONNX Runtime session from.</summary>
    public byte[] ToBytes() => Proto.ToByteArray();

    /// <summary>Size of the serialized model in bytes.</summary>
    public long SizeBytes => Proto.CalculateSize();

    /// <summary>The default-domain opset the model imports.</summary>
    public int Opset => OpsetUpgrader.DefaultOpset(Proto);

    /// <summary>The tool that wrote the model, as it records it.</summary>
    public string ProducerName => Proto.ProducerName;

    /// <summary>Names of the model's inputs (initializers listed as inputs excluded).</summary>
    public IReadOnlyList<string> InputNames => new GraphIndex(Proto.Graph).GraphInputs.ToList();

    /// <summary>Names of the model's outputs, in order.</summary>
    public IReadOnlyList<string> OutputNames => Proto.Graph.Output.Select(o => o.Name).ToList();
}
