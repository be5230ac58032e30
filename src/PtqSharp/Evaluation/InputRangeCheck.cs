using Onnx;
using PtqSharp.Data;
using PtqSharp.Onnx;
using PtqSharp.Quantization;

namespace PtqSharp.Evaluation;

/// <summary>
/// Whether data fits the model it is fed to: a quantized model's input quantizer can only represent the range
/// calibration saw, and inputs far outside it are clipped, which is almost always preprocessing that differs from
/// calibration's (a missing mean or scale, 0..1 pixels instead of 0..255). Reads a few samples, runs nothing.
/// </summary>
internal static class InputRangeCheck
{
    /// <summary>Share of an input's values outside its quantizer's range above which a warning is given.</summary>
    private const double ClippedShare = 0.01;

    /// <summary>Warnings for each model input whose values in the first <paramref name="samples"/> samples fall outside its quantizer's range.</summary>
    public static IReadOnlyList<string> Check(OnnxModel model, Dataset data, int samples = 16)
    {
        var ranges = InputQuantizerRanges(model.Proto);
        if (ranges.Count == 0) return [];
        var stats = ranges.Keys.ToDictionary(k => k, _ => (Min: double.PositiveInfinity, Max: double.NegativeInfinity, Outside: 0L, Count: 0L));
        for (int i = 0; i < Math.Min(samples, data.Count); i++)
        {
            foreach (var (name, tensor) in data.Get(i).Inputs)
            {
                var key = name.Length == 0 && ranges.Count == 1 ? ranges.Keys.Single() : name;
                if (!ranges.TryGetValue(key, out var range) || tensor.Data is not float[] values) continue;
                var s = stats[key];
                foreach (var v in values)
                {
                    if (v < s.Min) s.Min = v;
                    if (v > s.Max) s.Max = v;
                    if (v < range.Low || v > range.High) s.Outside++;
                }

                stats[key] = s with { Count = s.Count + values.Length };
            }
        }

        var warnings = new List<string>();
        foreach (var (name, s) in stats)
        {
            if (s.Count == 0 || (double)s.Outside / s.Count <= ClippedShare) continue;
            var (low, high) = ranges[name];
            warnings.Add($"Input '{name}': {(double)s.Outside / s.Count:P1} of its values in the first samples lie outside the range its quantizer was calibrated for " +
                $"([{low:G4}, {high:G4}]; these samples span [{s.Min:G4}, {s.Max:G4}]) and are clipped. The data is probably preprocessed differently from the calibration data: check --mean, --scale and the layout.");
        }

        return warnings;
    }

    /// <summary>The float range each graph input's own QuantizeLinear represents: (q_min - zero point) x scale to (q_max - zero point) x scale.</summary>
    private static Dictionary<string, (double Low, double High)> InputQuantizerRanges(ModelProto model)
    {
        var index = new GraphIndex(model.Graph);
        var result = new Dictionary<string, (double, double)>();
        foreach (var input in index.GraphInputs)
        {
            var q = model.Graph.Node.FirstOrDefault(n => n.OpType == "QuantizeLinear" && n.Input.Count >= 2 && n.Input[0] == input);
            if (q is null || index.Initializer(q.Input[1]) is not { } scaleTensor) continue;
            var scales = TensorData.ToFloats(scaleTensor);
            if (scales.Length != 1) continue;
            var zeroPointTensor = q.Input.Count > 2 && q.Input[2].Length > 0 ? index.Initializer(q.Input[2]) : null;
            double zeroPoint = zeroPointTensor is null ? 0 : TensorData.IntegersToFloats(zeroPointTensor)[0];
            // No zero point means uint8, as QuantizeLinear defaults.
            var type = QuantizedType.ForOnnxType(zeroPointTensor?.DataType ?? TensorData.UInt8) ?? QuantizedType.UInt8;
            // Half a step of slack on each side: values that round onto the end points are not clipped.
            result[input] = ((type.Min - zeroPoint - 0.5) * scales[0], (type.Max - zeroPoint + 0.5) * scales[0]);
        }

        return result;
    }
}
