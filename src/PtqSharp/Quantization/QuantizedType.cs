using PtqSharp.Onnx;

namespace PtqSharp.Quantization;

/// <summary>An integer type a quantizer maps to, with its ONNX element type and bounds.</summary>
internal readonly record struct QuantizedType(int OnnxType, int Min, int Max, string Name)
{
    public static readonly QuantizedType UInt8 = new(TensorData.UInt8, 0, 255, "uint8");
    public static readonly QuantizedType Int8 = new(TensorData.Int8, -128, 127, "int8");
    public static readonly QuantizedType Int16 = new(TensorData.Int16, short.MinValue, short.MaxValue, "int16");
    public static readonly QuantizedType UInt16 = new(TensorData.UInt16, 0, ushort.MaxValue, "uint16");
    public static readonly QuantizedType Int32 = new(TensorData.Int32, int.MinValue, int.MaxValue, "int32");

    public static QuantizedType For(int bits, bool signed) => (bits, signed) switch
    {
        (8, true) => Int8,
        (8, false) => UInt8,
        (16, true) => Int16,
        (16, false) => UInt16,
        _ => throw new ArgumentOutOfRangeException(nameof(bits), $"No {bits}-bit quantized type."),
    };

    /// <summary>The quantized type of an ONNX element type (a zero point's, say); null for one that is not a quantized integer type.</summary>
    public static QuantizedType? ForOnnxType(int onnxType) => onnxType switch
    {
        TensorData.UInt8 => UInt8,
        TensorData.Int8 => Int8,
        TensorData.Int16 => Int16,
        TensorData.UInt16 => UInt16,
        TensorData.Int32 => Int32,
        _ => null,
    };

    /// <summary>ai.onnx QuantizeLinear takes 16-bit types only from opset 21; before that they need the com.microsoft ops.</summary>
    public bool Is16Bit => OnnxType is TensorData.Int16 or TensorData.UInt16;

    public override string ToString() => Name;
}
