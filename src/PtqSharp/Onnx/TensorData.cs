using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace PtqSharp.Onnx;

/// <summary>Converts between ONNX <see cref="TensorProto"/> payloads and plain arrays.</summary>
internal static class TensorData
{
    public const int Float = (int)TensorProto.Types.DataType.Float;
    public const int Float16 = (int)TensorProto.Types.DataType.Float16;
    public const int Double = (int)TensorProto.Types.DataType.Double;
    public const int Int8 = (int)TensorProto.Types.DataType.Int8;
    public const int UInt8 = (int)TensorProto.Types.DataType.Uint8;
    public const int Int16 = (int)TensorProto.Types.DataType.Int16;
    public const int UInt16 = (int)TensorProto.Types.DataType.Uint16;
    public const int Int32 = (int)TensorProto.Types.DataType.Int32;
    public const int Int64 = (int)TensorProto.Types.DataType.Int64;
    public const int Bool = (int)TensorProto.Types.DataType.Bool;

    /// <summary>The element type's name for messages, e.g. "float16".</summary>
    public static string TypeName(int dataType) => ((TensorProto.Types.DataType)dataType).ToString().ToLowerInvariant();

    public static bool IsFloat(int dataType) => dataType is Float or Float16 or Double;

    public static long[] Shape(TensorProto t) => t.Dims.ToArray();

    public static long ElementCount(TensorProto t) => t.Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>Bytes one element of the type takes in raw data; null for types PtqSharp does not read raw (strings, sub-byte).</summary>
    public static int? ElementSize(int dataType) => (TensorProto.Types.DataType)dataType switch
    {
        TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Uint32 => 4,
        TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Uint64 => 8,
        TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16 or TensorProto.Types.DataType.Int16 or TensorProto.Types.DataType.Uint16 => 2,
        TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Bool => 1,
        _ => null,
    };

    /// <summary>The raw byte count of the tensor's shape and type (null where <see cref="ElementSize"/> is); overflow counts as unknown.</summary>
    public static long? ByteCount(TensorProto t)
    {
        if (ElementSize(t.DataType) is not int size || t.Dims.Any(d => d < 0)) return null;
        try
        {
            return checked(t.Dims.Aggregate((long)size, (a, d) => a * d));
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    /// <summary>The tensor's raw bytes, read from its external data file when it has one.</summary>
    public static ReadOnlySpan<byte> Raw(TensorProto t) => ExternalData.IsExternal(t) ? ExternalData.Read(t) : t.RawData.Span;

    /// <summary>Reads a floating-point tensor (float, float16 or double) as float32.</summary>
    public static float[] ToFloats(TensorProto t)
    {
        int count = checked((int)ElementCount(t));
        if (t.DataType == Float && ExternalData.IsExternal(t)) return ExternalData.ReadFloats(t);
        var raw = Raw(t);
        switch (t.DataType)
        {
            case Float:
                return raw.Length > 0 ? MemoryMarshal.Cast<byte, float>(raw).ToArray() : t.FloatData.ToArray();
            case Double:
                return raw.Length > 0
                    ? Array.ConvertAll(MemoryMarshal.Cast<byte, double>(raw).ToArray(), d => (float)d)
                    : t.DoubleData.Select(d => (float)d).ToArray();
            case Float16:
                {
                    var result = new float[count];
                    if (raw.Length > 0)
                    {
                        var halves = MemoryMarshal.Cast<byte, Half>(raw);
                        for (int i = 0; i < count; i++) result[i] = (float)halves[i];
                    }
                    else
                    {
                        // int32_data holds the raw 16-bit patterns.
                        for (int i = 0; i < count; i++) result[i] = (float)BitConverter.UInt16BitsToHalf((ushort)t.Int32Data[i]);
                    }

                    return result;
                }
            default:
                return ThrowHelper.Throw<float[]>($"Tensor '{t.Name}' has element type {(TensorProto.Types.DataType)t.DataType}, not a floating-point type.");
        }
    }

    /// <summary>The first element of a floating-point tensor that is NaN or infinite, and its value; float32 is read in place.</summary>
    public static (int Index, float Value)? FirstNonFinite(TensorProto t)
    {
        var raw = t.DataType == Float ? Raw(t) : default;
        ReadOnlySpan<float> values = raw.Length > 0 ? MemoryMarshal.Cast<byte, float>(raw) : ToFloats(t);
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i])) return (i, values[i]);
        }

        return null;
    }

    /// <summary>Reads a quantized integer tensor (int8, uint8, int16, uint16, int32 in raw data) as floats.</summary>
    public static float[] IntegersToFloats(TensorProto t)
    {
        var raw = Raw(t);
        return t.DataType switch
        {
            Int8 => Array.ConvertAll(MemoryMarshal.Cast<byte, sbyte>(raw).ToArray(), v => (float)v),
            UInt8 => Array.ConvertAll(raw.ToArray(), v => (float)v),
            Int16 => Array.ConvertAll(MemoryMarshal.Cast<byte, short>(raw).ToArray(), v => (float)v),
            UInt16 => Array.ConvertAll(MemoryMarshal.Cast<byte, ushort>(raw).ToArray(), v => (float)v),
            Int32 => raw.Length > 0 ? Array.ConvertAll(MemoryMarshal.Cast<byte, int>(raw).ToArray(), v => (float)v) : t.Int32Data.Select(v => (float)v).ToArray(),
            _ => ThrowHelper.Throw<float[]>($"Tensor '{t.Name}' has element type {(TensorProto.Types.DataType)t.DataType}, not a quantized integer type."),
        };
    }

    /// <summary>Reads an integer tensor (int64 or int32) as longs; used for shapes and axes.</summary>
    public static long[] ToInt64s(TensorProto t)
    {
        var raw = Raw(t);
        return t.DataType switch
        {
            Int64 => raw.Length > 0 ? MemoryMarshal.Cast<byte, long>(raw).ToArray() : t.Int64Data.ToArray(),
            Int32 => raw.Length > 0 ? Array.ConvertAll(MemoryMarshal.Cast<byte, int>(raw).ToArray(), v => (long)v) : t.Int32Data.Select(v => (long)v).ToArray(),
            _ => ThrowHelper.Throw<long[]>($"Tensor '{t.Name}' has element type {(TensorProto.Types.DataType)t.DataType}, not int32 or int64."),
        };
    }

    public static TensorProto Create<T>(string name, ReadOnlySpan<long> dims, ReadOnlySpan<T> values, int dataType)
        where T : unmanaged
    {
        var t = new TensorProto { Name = name, DataType = dataType };
        foreach (var d in dims) t.Dims.Add(d);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        return t;
    }

    public static TensorProto FromFloats(string name, ReadOnlySpan<long> dims, ReadOnlySpan<float> values) => Create(name, dims, values, Float);

    /// <summary>Writes float values in the given floating-point element type (float16 models keep float16 scales).</summary>
    public static TensorProto FromFloats(string name, ReadOnlySpan<long> dims, ReadOnlySpan<float> values, int dataType)
    {
        if (dataType == Float16)
        {
            var halves = new Half[values.Length];
            for (int i = 0; i < halves.Length; i++) halves[i] = (Half)values[i];
            return Create<Half>(name, dims, halves, Float16);
        }

        return FromFloats(name, dims, values);
    }
}
