using PtqSharp.Onnx;

namespace PtqSharp.Quantization;

/// <summary>An integer type a quantizer maps to, with its ONNX element type and bounds.</summary>
public readonly record struct QuantizedType(int OnnxType, int Min, int Max, string Name)
{
    public static readonly QuantizedType UInt8 = new(TensorData.UInt8, 0, 255, "uint8");
    public static readonly QuantizedType Int8 = new(TensorData.Int8, -128, 127, "int8");
    public static readonly QuantizedType Int32 = new(TensorData.Int32, int.MinValue, int.MaxValue, "int32");

    public override string ToString() => Name;
}
