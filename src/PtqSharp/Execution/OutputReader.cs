using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace PtqSharp.Execution;

/// <summary>Reads floating-point ONNX Runtime outputs as float32, whatever their float type.</summary>
internal static class OutputReader
{
    public static float[] ToFloats(OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        return info.ElementDataType switch
        {
            TensorElementType.Float => value.GetTensorDataAsSpan<float>().ToArray(),
            TensorElementType.Float16 => ConvertHalf(value.GetTensorDataAsSpan<Float16>()),
            TensorElementType.Double => Array.ConvertAll(value.GetTensorDataAsSpan<double>().ToArray(), d => (float)d),
            var t => ThrowHelper.Throw<float[]>($"Output of element type {t} is not a floating-point tensor."),
        };
    }

    public static bool IsFloat(OrtValue value) =>
        value.GetTensorTypeAndShape().ElementDataType is TensorElementType.Float or TensorElementType.Float16 or TensorElementType.Double;

    private static float[] ConvertHalf(ReadOnlySpan<Float16> values)
    {
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = (float)BitConverter.UInt16BitsToHalf(values[i].value);
        return result;
    }
}
