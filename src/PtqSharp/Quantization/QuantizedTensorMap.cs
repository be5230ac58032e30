using System.Text.Json;
using Onnx;

namespace PtqSharp.Quantization;

/// <summary>
/// Keeps the writer's <see cref="QuantizedTensor"/> list with the model, in its <c>metadata_props</c>,
/// so the per-tensor report can compare a saved QDQ model with its float original later (<c>ptq debug</c>).
/// </summary>
internal static class QuantizedTensorMap
{
    public const string Key = "ptq.quantized_tensors";

    private sealed record Entry(string Dequantized, string Float, string Kind, IReadOnlyList<string> Consumers, string? SmoothingScale, int? SmoothingAxis);

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Records the tensors in the model (replacing an earlier record).</summary>
    public static void Attach(ModelProto model, IReadOnlyList<QuantizedTensor> tensors)
    {
        var entries = tensors.Select(t => new Entry(t.Dequantized, t.Float, t.Kind == QuantizedTensorKind.Weight ? "weight" : "activation", t.Consumers, t.Smoothing?.InverseScale, t.Smoothing?.Axis));
        foreach (var old in model.MetadataProps.Where(p => p.Key == Key).ToList()) model.MetadataProps.Remove(old);
        model.MetadataProps.Add(new StringStringEntryProto { Key = Key, Value = JsonSerializer.Serialize(entries, Json) });
    }

    /// <summary>The recorded tensors, or null when the model carries no record (not written by PtqSharp).</summary>
    public static IReadOnlyList<QuantizedTensor>? Read(ModelProto model)
    {
        var text = model.MetadataProps.FirstOrDefault(p => p.Key == Key)?.Value;
        if (text is null) return null;
        List<Entry>? entries;
        try
        {
            entries = JsonSerializer.Deserialize<List<Entry>>(text, Json);
        }
        catch (JsonException e)
        {
            return ThrowHelper.Throw<IReadOnlyList<QuantizedTensor>>($"The model's '{Key}' metadata is not valid: {e.Message}. Quantize the model again, or remove the entry.");
        }

        return entries?.Select(e => new QuantizedTensor(
            e.Dequantized, e.Float, e.Kind == "weight" ? QuantizedTensorKind.Weight : QuantizedTensorKind.Activation, e.Consumers ?? [],
            e.SmoothingScale is { } s ? (s, e.SmoothingAxis ?? -1) : null)).ToList() ?? [];
    }
}
