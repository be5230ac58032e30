namespace PtqSharp.Execution;

/// <summary>A model input as ONNX Runtime declares it.</summary>
/// <param name="Name">The input name.</param>
/// <param name="ElementType">ONNX element type (<see cref="Onnx.TensorData"/> constants).</param>
/// <param name="Dimensions">Sizes, with -1 (or 0) for dynamic dimensions.</param>
/// <param name="Symbols">The symbolic name of each dynamic dimension, or null.</param>
internal sealed record ModelInput(string Name, int ElementType, long[] Dimensions, string?[] Symbols)
{
    /// <summary>The shape for messages, e.g. [batchx3x224x224].</summary>
    public string ShapeText =>
        string.Join("x", Dimensions.Select((d, k) => d > 0 ? d.ToString() : Symbols[k] is { Length: > 0 } s ? s : "?"));
}
