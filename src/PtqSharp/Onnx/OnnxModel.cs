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

    /// <summary>Reads a model; weights in external data files are checked and stay on disk until a stage reads them.</summary>
    /// <param name="path">The .onnx file.</param>
    /// <exception cref="PtqException">The file is missing, not an ONNX model, or its external data is missing or short.</exception>
    public static OnnxModel Load(string path) => new(OnnxModelIO.Load(path, out var dataFiles)) { ExternalDataFiles = dataFiles };

    /// <summary>Holds the temporary folder of weights the model refers to (a result's float weights), deleting it once the model is gone.</summary>
    internal ScratchFolder? Scratch { get; set; }

    /// <summary>The external data files the model was read from (full paths): inputs an output must not replace.</summary>
    internal IReadOnlyList<string> ExternalDataFiles { get; private init; } = [];

    /// <summary>Parses a serialized model, e.g. one embedded as a resource.</summary>
    /// <param name="bytes">The model's protobuf bytes.</param>
    /// <param name="source">A name for the model in error messages.</param>
    /// <exception cref="PtqException">The bytes are not an ONNX model.</exception>
    public static OnnxModel FromBytes(byte[] bytes, string source = "model") => new(OnnxModelIO.Parse(bytes, source));

    /// <summary>Writes the model to <paramref name="path"/> whole or not at all (a temporary file moved into place).</summary>
    /// <param name="path">Where to write; an existing file is replaced only once the new one is complete.</param>
    /// <param name="externalData">
    /// Store the weights (initializers of 1 KiB or more) in <c>name.onnx.data</c> beside the model, as ONNX's external
    /// data: both files are complete on disk before either takes its name. ONNX Runtime loads such a model from its path.
    /// Models of 2 GB or more (<see cref="RequiresExternalData"/>) are always written this way.
    /// </param>
    public void Save(string path, bool externalData = false) => OnnxModelIO.Save(Proto, path, externalData);

    /// <summary>The serialized model, e.g. to create an ONNX Runtime session from.</summary>
    /// <exception cref="PtqException">The model is 2 GB or more, past what one protobuf holds.</exception>
    public byte[] ToBytes() => OnnxModelIO.ToBytes(Proto);

    /// <summary>Size of the model in bytes, weights in external data included.</summary>
    public long SizeBytes => OnnxModelIO.SizeOf(Proto);

    /// <summary>Whether the model is too large for one file (2 GB, protobuf's limit), so <see cref="Save"/> writes its weights to <c>name.onnx.data</c>.</summary>
    public bool RequiresExternalData => OnnxModelIO.NeedsExternalData(Proto);

    /// <summary>The default-domain opset the model imports.</summary>
    public int Opset => OpsetUpgrader.DefaultOpset(Proto);

    /// <summary>The tool that wrote the model, as it records it.</summary>
    public string ProducerName => Proto.ProducerName;

    /// <summary>Names of the model's inputs (initializers listed as inputs excluded).</summary>
    public IReadOnlyList<string> InputNames => new GraphIndex(Proto.Graph).GraphInputs.ToList();

    /// <summary>Names of the model's outputs, in order.</summary>
    public IReadOnlyList<string> OutputNames => Proto.Graph.Output.Select(o => o.Name).ToList();
}
