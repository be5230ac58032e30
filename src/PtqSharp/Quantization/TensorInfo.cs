namespace PtqSharp.Quantization;

/// <summary>A model input or output.</summary>
/// <param name="Name">The tensor name.</param>
/// <param name="ElementType">The element type, e.g. "float".</param>
/// <param name="Shape">The shape with dynamic dimensions by name, e.g. "[batch, 3, 224, 224]".</param>
public sealed record TensorInfo(string Name, string ElementType, string Shape);
