using System.Text.Json;

namespace PtqSharp.Hardware;

/// <summary>
/// Reads hardware-config JSON by hand rather than by serializer so every error names the key path
/// (<c>operations.Conv.activations[1].mode</c>) and the allowed values, and unknown keys (typos) fail.
/// </summary>
internal static class HardwareConfigParser
{
    private static readonly string[] TopKeys = ["name", "description", "overflow_fix", "runs_on_host", "dynamic_lstm", "depthwise_channel_multiple", "swish_as_quick_gelu", "activations", "weights", "operations", "pass_through", "fusable_activations"];
    private static readonly string[] OperationKeys = ["inputs", "bias", "quantize_output", "activations_only", "quantize_constants", "shared_scale", "activations", "weights"];
    private static readonly string[] QuantizerKeys = ["bits", "mode", "granularity", "narrow_range", "signed"];

    public static HardwareConfig Parse(Stream json, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            return ThrowHelper.Throw<HardwareConfig>($"Hardware config '{source}' is not valid JSON (line {e.LineNumber + 1}): {e.Message}");
        }

        using (doc)
        {
            var reader = new JsonRuleReader($"Hardware config '{source}'");
            var root = doc.RootElement;
            reader.Expect(root, JsonValueKind.Object, "the top level");
            reader.KnownKeys(root, TopKeys, "");
            var name = reader.Required(root, "name", JsonValueKind.String).GetString()!;
            var activations = Quantizers(reader, reader.Required(root, "activations"), "activations");
            var weights = Quantizers(reader, reader.Required(root, "weights"), "weights");
            var operations = new Dictionary<string, OperationRule>();
            foreach (var op in reader.Required(root, "operations", JsonValueKind.Object).EnumerateObject())
            {
                operations[op.Name] = Operation(reader, op.Value, $"operations.{op.Name}");
            }

            return new HardwareConfig
            {
                Name = name,
                Description = reader.Optional(root, "description", JsonValueKind.String)?.GetString() ?? string.Empty,
                OverflowFix = reader.Bool(root, "overflow_fix", "overflow_fix"),
                RunsOnHost = reader.Bool(root, "runs_on_host", "runs_on_host"),
                DynamicLstm = reader.Bool(root, "dynamic_lstm", "dynamic_lstm"),
                DepthwiseChannelMultiple = reader.Int(root, "depthwise_channel_multiple", "depthwise_channel_multiple", min: 1, max: 64) ?? 1,
                SwishAsQuickGelu = reader.Bool(root, "swish_as_quick_gelu", "swish_as_quick_gelu"),
                Activations = activations,
                Weights = weights,
                Operations = operations,
                PassThrough = reader.Strings(root, "pass_through").ToHashSet(),
                FusableActivations = reader.Strings(root, "fusable_activations").ToHashSet(),
            };
        }
    }

    private static OperationRule Operation(JsonRuleReader reader, JsonElement e, string path)
    {
        reader.Expect(e, JsonValueKind.Object, path);
        reader.KnownKeys(e, OperationKeys, path);
        IReadOnlyList<int>? inputs = e.TryGetProperty("inputs", out var i) ? i.ValueKind switch
        {
            JsonValueKind.String when i.GetString() == "all" => null,
            JsonValueKind.Array when i.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out var v) && v >= 0) =>
                i.EnumerateArray().Select(x => x.GetInt32()).ToArray(),
            _ => reader.Fail<int[]>($"{path}.inputs", "must be a list of input indices or \"all\""),
        } : [0];
        int? bias = reader.Optional(e, "bias", JsonValueKind.Number) is { } b
            ? (b.TryGetInt32(out var bv) && bv >= 0 ? bv : reader.Fail<int>($"{path}.bias", "must be an input index"))
            : null;
        return new OperationRule
        {
            Inputs = inputs,
            Bias = bias,
            QuantizeOutput = reader.Bool(e, "quantize_output", $"{path}.quantize_output"),
            ActivationsOnly = reader.Bool(e, "activations_only", $"{path}.activations_only"),
            QuantizeConstants = reader.Bool(e, "quantize_constants", $"{path}.quantize_constants"),
            SharedScale = reader.Bool(e, "shared_scale", $"{path}.shared_scale"),
            Activations = e.TryGetProperty("activations", out var a) ? Quantizers(reader, a, $"{path}.activations") : null,
            Weights = e.TryGetProperty("weights", out var w) ? Quantizers(reader, w, $"{path}.weights") : null,
        };
    }

    /// <summary>A quantizer object or a list of them, in order of preference.</summary>
    private static IReadOnlyList<QuantizerConfig> Quantizers(JsonRuleReader reader, JsonElement e, string path)
    {
        if (e.ValueKind == JsonValueKind.Object) return [Quantizer(reader, e, path)];
        reader.Expect(e, JsonValueKind.Array, path);
        var list = e.EnumerateArray().Select((q, k) => Quantizer(reader, q, $"{path}[{k}]")).ToList();
        return list.Count > 0 ? list : reader.Fail<List<QuantizerConfig>>(path, "must list at least one quantizer");
    }

    private static QuantizerConfig Quantizer(JsonRuleReader reader, JsonElement e, string path)
    {
        reader.Expect(e, JsonValueKind.Object, path);
        reader.KnownKeys(e, QuantizerKeys, path);
        int bits = reader.Optional(e, "bits", JsonValueKind.Number) is { } b
            ? (b.TryGetInt32(out var v) && v is 8 or 16 ? v : reader.Fail<int>($"{path}.bits", $"must be 8 or 16 (got {b})"))
            : 8;
        var mode = reader.Enum(e, "mode", $"{path}.mode", QuantizationMode.Symmetric, ("symmetric", QuantizationMode.Symmetric), ("asymmetric", QuantizationMode.Asymmetric));
        var granularity = reader.Enum(e, "granularity", $"{path}.granularity", Granularity.PerTensor, ("per_tensor", Granularity.PerTensor), ("per_channel", Granularity.PerChannel));
        return new QuantizerConfig(bits, mode, granularity, reader.Bool(e, "narrow_range", $"{path}.narrow_range"), reader.Bool(e, "signed", $"{path}.signed"));
    }
}
