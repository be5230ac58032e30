namespace PtqSharp.Quantization;

/// <summary>An op type to keep in float, only where its attributes have the given values (POT's ignored operations with attributes).</summary>
/// <param name="Type">The ONNX op type, e.g. "Conv".</param>
/// <param name="Attributes">Attribute values the node must have, as text: integers ("1"), floats ("0.5"), strings; empty to match every node of the type.</param>
public sealed record IgnoredOperation(string Type, IReadOnlyDictionary<string, string> Attributes);
