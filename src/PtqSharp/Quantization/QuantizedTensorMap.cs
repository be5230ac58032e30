using System.Text;
using System.Text.Json;
using Onnx;
using PtqSharp.Onnx;

namespace PtqSharp.Quantization;

/// <summary>
/// Keeps the writer's <see cref="QuantizedTensor"/> list with the model, in its <c>metadata_props</c>,
/// so the per-tensor report can compare a saved QDQ model with its float original later (<c>ptq debug</c>).
/// Only what the graph cannot tell is kept (which float tensor, and SmoothQuant's rescaling): kinds and
/// consumers are read off the graph again, which keeps the record to a few bytes per quantizer. Written
/// and read with the JSON reader and writer directly: this runs for every model built, and
/// reflection-based serialization would cost more than the rest of writing a small model.
/// </summary>
internal static class QuantizedTensorMap
{
    public const string Key = "ptq.quantized_tensors";

    /// <summary>Records the tensors in the model (replacing an earlier record).</summary>
    public static void Attach(ModelProto model, IReadOnlyList<QuantizedTensor> tensors)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var t in tensors)
            {
                w.WriteStartObject();
                w.WriteString("dequantized", t.Dequantized);
                w.WriteString("float", t.Float);
                if (t.Smoothing is var (scale, axis))
                {
                    w.WriteString("smoothing_scale", scale);
                    w.WriteNumber("smoothing_axis", axis);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        foreach (var old in model.MetadataProps.Where(p => p.Key == Key).ToList()) model.MetadataProps.Remove(old);
        model.MetadataProps.Add(new StringStringEntryProto { Key = Key, Value = Encoding.UTF8.GetString(buffer.ToArray()) });
    }

    /// <summary>The recorded tensors, or null when the model carries no record (not written by PtqSharp).</summary>
    public static IReadOnlyList<QuantizedTensor>? Read(ModelProto model)
    {
        var text = model.MetadataProps.FirstOrDefault(p => p.Key == Key)?.Value;
        if (text is null) return null;
        var index = new GraphIndex(model.Graph);
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.EnumerateArray().Select(e =>
            {
                var dequantized = e.GetProperty("dequantized").GetString()!;
                bool weight = index.Producer(dequantized) is { } dq && dq.Input.Count > 0 && index.Initializer(dq.Input[0]) is not null;
                return new QuantizedTensor(
                    dequantized,
                    e.GetProperty("float").GetString()!,
                    weight ? QuantizedTensorKind.Weight : QuantizedTensorKind.Activation,
                    index.Consumers(dequantized).Select(u => u.Node.Name).Distinct().ToList(),
                    e.TryGetProperty("smoothing_scale", out var s) ? (s.GetString()!, e.GetProperty("smoothing_axis").GetInt32()) : null);
            }).ToList();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return ThrowHelper.Throw<IReadOnlyList<QuantizedTensor>>($"The model's '{Key}' metadata is not valid: {e.Message}. Quantize the model again, or remove the entry.");
        }
    }
}
