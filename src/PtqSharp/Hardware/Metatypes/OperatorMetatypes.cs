using System.Reflection;
using System.Text.Json;
using Onnx;

namespace PtqSharp.Hardware.Metatypes;

/// <summary>The operator metatype table (<c>operators.json</c>, embedded), read once.</summary>
internal static class OperatorMetatypes
{
    private const string Resource = "PtqSharp.Hardware.Metatypes.operators.json";
    private static readonly string[] Keys = ["weight", "bias", "channel_axis", "channel_transposed_by", "group_attribute", "bias_correction", "patch_hessian", "integer_kernels", "float_kernels", "parameter_inputs", "output_range"];
    private static readonly string[] WeightKeys = ["input", "output_channel_axis", "input_channel_axis", "transposed_by", "per_channel_rank"];

    private static readonly Lazy<IReadOnlyDictionary<string, OperatorMetatype>> Table = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"Embedded resource '{Resource}' is missing from the assembly.");
        return Parse(stream, "operators.json");
    });

    /// <summary>Every op type the table describes.</summary>
    public static IReadOnlyDictionary<string, OperatorMetatype> All => Table.Value;

    /// <summary>Every ONNX Runtime kernel that runs a quantized op on integers.</summary>
    public static IReadOnlySet<string> IntegerKernels { get; } = All.Values.SelectMany(m => m.IntegerKernels).ToHashSet();

    /// <summary>Every float kernel of an op that has an integer one: what a QDQ model should have none of.</summary>
    public static IReadOnlySet<string> FloatComputeKernels { get; } = All.Values.Where(m => m.Weight is not null).SelectMany(m => m.FloatKernels).ToHashSet();

    /// <summary>The metatype of a node: known default-domain op types, else one that declares nothing.</summary>
    public static OperatorMetatype For(NodeProto node) =>
        node.Domain is "" or "ai.onnx" && All.TryGetValue(node.OpType, out var m) ? m : new OperatorMetatype(node.OpType);

    /// <summary>Reads a metatype table; errors name the key path.</summary>
    public static IReadOnlyDictionary<string, OperatorMetatype> Parse(Stream json, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            return ThrowHelper.Throw<IReadOnlyDictionary<string, OperatorMetatype>>($"Operator metatypes '{source}' are not valid JSON (line {e.LineNumber + 1}): {e.Message}");
        }

        using (doc)
        {
            var r = new JsonRuleReader($"Operator metatypes '{source}'");
            r.Expect(doc.RootElement, JsonValueKind.Object, "");
            var result = new Dictionary<string, OperatorMetatype>();
            foreach (var op in doc.RootElement.EnumerateObject())
            {
                var e = op.Value;
                string at = op.Name;
                r.Expect(e, JsonValueKind.Object, at);
                r.KnownKeys(e, Keys, at);
                WeightPort? weight = null;
                if (e.TryGetProperty("weight", out var w))
                {
                    r.Expect(w, JsonValueKind.Object, $"{at}.weight");
                    r.KnownKeys(w, WeightKeys, $"{at}.weight");
                    weight = new WeightPort(
                        r.Int(w, "input", $"{at}.weight.input", min: 0) ?? r.Fail<int>($"{at}.weight.input", "is missing"),
                        r.Int(w, "output_channel_axis", $"{at}.weight.output_channel_axis") ?? r.Fail<int>($"{at}.weight.output_channel_axis", "is missing"),
                        r.Int(w, "input_channel_axis", $"{at}.weight.input_channel_axis") ?? r.Fail<int>($"{at}.weight.input_channel_axis", "is missing"),
                        r.Optional(w, "transposed_by", JsonValueKind.String)?.GetString(),
                        r.Int(w, "per_channel_rank", $"{at}.weight.per_channel_rank", min: 1));
                }

                result[op.Name] = new OperatorMetatype(op.Name)
                {
                    Weight = weight,
                    Bias = r.Int(e, "bias", $"{at}.bias", min: 0),
                    ChannelAxis = r.Int(e, "channel_axis", $"{at}.channel_axis"),
                    ChannelTransposedBy = r.Optional(e, "channel_transposed_by", JsonValueKind.String)?.GetString(),
                    GroupAttribute = r.Optional(e, "group_attribute", JsonValueKind.String)?.GetString(),
                    BiasCorrection = r.Bool(e, "bias_correction", $"{at}.bias_correction"),
                    PatchHessian = r.Bool(e, "patch_hessian", $"{at}.patch_hessian"),
                    IntegerKernels = r.Strings(e, "integer_kernels", $"{at}.integer_kernels", "kernel names").ToList(),
                    FloatKernels = r.Strings(e, "float_kernels", $"{at}.float_kernels", "kernel names").ToList(),
                    ParameterInputs = r.Ints(e, "parameter_inputs", $"{at}.parameter_inputs"),
                };
                if (e.TryGetProperty("output_range", out var range))
                {
                    result[op.Name] = result[op.Name] with { OutputRange = Range(r, range, $"{at}.output_range") };
                }
            }

            return result;
        }
    }

    private static (float Min, float Max) Range(JsonRuleReader r, JsonElement e, string key)
    {
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() != 2 || e.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number))
        {
            return r.Fail<(float, float)>(key, "must be [min, max] (two numbers)");
        }

        float min = e[0].GetSingle(), max = e[1].GetSingle();
        return float.IsFinite(min) && float.IsFinite(max) && min < max ? (min, max) : r.Fail<(float, float)>(key, $"must have a finite min below max (got [{min}, {max}])");
    }
}
