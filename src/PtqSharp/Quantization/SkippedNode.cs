namespace PtqSharp.Quantization;

/// <summary>A quantizable op left in float, and why.</summary>
/// <param name="Name">The node name.</param>
/// <param name="OpType">The ONNX op type.</param>
/// <param name="Reason">e.g. "in the ignored scope".</param>
public sealed record SkippedNode(string Name, string OpType, string Reason);
