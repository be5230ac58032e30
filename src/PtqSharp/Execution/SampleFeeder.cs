using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using PtqSharp.Data;

namespace PtqSharp.Execution;

/// <summary>
/// Turns samples into ONNX Runtime inputs, checking each against the model's declared inputs so a
/// mismatch names the sample, the input and both shapes.
/// </summary>
internal sealed class SampleFeeder
{
    private readonly IReadOnlyDictionary<string, NodeMetadata> _inputs;

    public SampleFeeder(InferenceSession session) => _inputs = session.InputMetadata;

    public IReadOnlyList<string> InputNames => _inputs.Keys.ToList();

    /// <summary>Validates the sample and returns one OrtValue per model input, in input order; the caller disposes them.</summary>
    public OrtValue[] Feed(Sample sample)
    {
        var values = new OrtValue[_inputs.Count];
        int i = 0;
        try
        {
            foreach (var (name, meta) in _inputs)
            {
                var tensor = Resolve(sample, name);
                CheckShape(sample, name, meta, tensor);
                values[i++] = ToOrtValue(sample, name, meta, tensor);
            }

            return values;
        }
        catch
        {
            foreach (var v in values) v?.Dispose();
            throw;
        }
    }

    /// <summary>Validates and converts one model input of the sample; the caller disposes it.</summary>
    public OrtValue Feed(Sample sample, string name)
    {
        var tensor = Resolve(sample, name);
        CheckShape(sample, name, _inputs[name], tensor);
        return ToOrtValue(sample, name, _inputs[name], tensor);
    }

    private SampleTensor Resolve(Sample sample, string name)
    {
        if (sample.Inputs.TryGetValue(name, out var t)) return t;
        if (_inputs.Count == 1 && sample.Inputs.Count == 1) return sample.Inputs.Values.First();
        var have = string.Join(", ", sample.Inputs.Keys.Select(k => k.Length == 0 ? "(unnamed)" : $"'{k}'"));
        return ThrowHelper.Throw<SampleTensor>(
            $"Sample {SourceOf(sample)} has no tensor for model input '{name}' (it has {have}). Multi-input models need .npz samples keyed by input name: {string.Join(", ", _inputs.Keys.Select(k => $"'{k}'"))}.");
    }

    private static void CheckShape(Sample sample, string name, NodeMetadata meta, SampleTensor tensor)
    {
        var expected = meta.Dimensions;
        bool fits = expected.Length == tensor.Shape.Length;
        for (int d = 0; fits && d < expected.Length; d++)
        {
            fits = expected[d] <= 0 || expected[d] == tensor.Shape[d];
        }

        if (!fits)
        {
            var want = string.Join("x", expected.Select((d, k) => d > 0 ? d.ToString() : (meta.SymbolicDimensions?[k] is { Length: > 0 } s ? s : "?")));
            ThrowHelper.Throw($"Sample {SourceOf(sample)} has shape [{string.Join("x", tensor.Shape)}] but model input '{name}' expects [{want}]. Resize or reshape the data to the model's input.");
        }

        if (tensor.ElementCount != tensor.Data.Length)
        {
            ThrowHelper.Throw($"Sample {SourceOf(sample)}: input '{name}' declares shape [{string.Join("x", tensor.Shape)}] ({tensor.ElementCount} elements) but holds {tensor.Data.Length} values.");
        }

        if (tensor.Data is float[] f && !Array.TrueForAll(f, float.IsFinite))
        {
            int at = Array.FindIndex(f, v => !float.IsFinite(v));
            ThrowHelper.Throw($"Sample {SourceOf(sample)}: input '{name}' holds {f[at]} at flat index {at}. Calibration data must be finite; clean or drop this sample.");
        }
    }

    private static OrtValue ToOrtValue(Sample sample, string name, NodeMetadata meta, SampleTensor tensor)
    {
        var shape = tensor.Shape;
        var type = meta.ElementDataType;
        return (tensor.Data, type) switch
        {
            (float[] f, TensorElementType.Float) => OrtValue.CreateTensorValueFromMemory(f, shape),
            (float[] f, TensorElementType.Float16) => OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(f, v => new Float16(BitConverter.HalfToUInt16Bits((Half)v))), shape),
            (float[] f, TensorElementType.Double) => OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(f, v => (double)v), shape),
            (Half[] h, TensorElementType.Float16) => OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(h, v => new Float16(BitConverter.HalfToUInt16Bits(v))), shape),
            (Half[] h, TensorElementType.Float) => OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(h, v => (float)v), shape),
            (double[] d, TensorElementType.Double) => OrtValue.CreateTensorValueFromMemory(d, shape),
            (double[] d, TensorElementType.Float) => OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(d, v => (float)v), shape),
            (long[] l, TensorElementType.Int64) => OrtValue.CreateTensorValueFromMemory(l, shape),
            (int[] l, TensorElementType.Int64) => OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(l, v => (long)v), shape),
            (long[] l, TensorElementType.Int32) => OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(l, v => (int)v), shape),
            (int[] l, TensorElementType.Int32) => OrtValue.CreateTensorValueFromMemory(l, shape),
            (bool[] b, TensorElementType.Bool) => OrtValue.CreateTensorValueFromMemory(b, shape),
            (byte[] b, TensorElementType.UInt8) => OrtValue.CreateTensorValueFromMemory(b, shape),
            (sbyte[] b, TensorElementType.Int8) => OrtValue.CreateTensorValueFromMemory(b, shape),
            _ => ThrowHelper.Throw<OrtValue>(
                $"Sample {SourceOf(sample)}: input '{name}' holds {tensor.Data.GetType().GetElementType()!.Name} values but the model expects {type}. Convert the data to the model's input type."),
        };
    }

    internal static string SourceOf(Sample sample) => sample.Source is null ? "(unnamed)" : $"'{sample.Source}'";
}
