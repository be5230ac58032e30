using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PtqSharp.Hardware;

/// <summary>How one op type is quantized on a device.</summary>
public sealed record OperationRule
{
    /// <summary>Input indices that get quantizers; null means all inputs (Concat).</summary>
    public IReadOnlyList<int>? Inputs { get; init; }

    /// <summary>Index of the bias input, quantized to int32 with scale = input scale x weight scale.</summary>
    public int? Bias { get; init; }

    /// <summary>Whether the op's output (after fusable activations) gets a quantizer so the runtime can fuse an integer kernel.</summary>
    public bool QuantizeOutput { get; init; }

    /// <summary>Quantize only when every quantized input is an activation (e.g. residual Add, not bias Add).</summary>
    public bool ActivationsOnly { get; init; }

    /// <summary>All quantized inputs and the output share one scale (Concat).</summary>
    public bool SharedScale { get; init; }
}

public sealed record QuantizerRule(int Bits, string Mode, string Granularity, bool NarrowRange);

/// <summary>
/// A device's quantization rules, loaded from JSON: which op types are quantized and how, which ops
/// pass quantization through, and which activations fuse into the op before them.
/// </summary>
public sealed record HardwareConfig
{
    public required string Name { get; init; }

    public string Description { get; init; } = string.Empty;

    public required QuantizerRule Activations { get; init; }

    public required QuantizerRule Weights { get; init; }

    public required IReadOnlyDictionary<string, OperationRule> Operations { get; init; }

    public IReadOnlySet<string> PassThrough { get; init; } = new HashSet<string>();

    public IReadOnlySet<string> FusableActivations { get; init; } = new HashSet<string>();

    public static HardwareConfig For(TargetDevice device) => device switch
    {
        TargetDevice.Cpu => LoadEmbedded("cpu.json"),
        _ => LoadEmbedded("any.json"),
    };

    public static HardwareConfig LoadEmbedded(string file)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("PtqSharp.Hardware." + file)
            ?? throw new InvalidOperationException($"Embedded hardware config '{file}' is missing from the assembly.");
        return Parse(stream, file);
    }

    public static HardwareConfig Parse(Stream json, string source)
    {
        Dto? dto;
        try
        {
            dto = JsonSerializer.Deserialize<Dto>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            return ThrowHelper.Throw<HardwareConfig>($"Hardware config '{source}' is invalid at {e.Path}: {e.Message}");
        }

        if (dto?.Name is null) return ThrowHelper.Throw<HardwareConfig>($"Hardware config '{source}' has no 'name'.");
        if (dto.Activations is null) return ThrowHelper.Throw<HardwareConfig>($"Hardware config '{source}' has no 'activations'.");
        if (dto.Weights is null) return ThrowHelper.Throw<HardwareConfig>($"Hardware config '{source}' has no 'weights'.");
        if (dto.Operations is null) return ThrowHelper.Throw<HardwareConfig>($"Hardware config '{source}' has no 'operations'.");

        var ops = new Dictionary<string, OperationRule>();
        foreach (var (op, rule) in dto.Operations)
        {
            IReadOnlyList<int>? inputs = rule.Inputs.ValueKind switch
            {
                JsonValueKind.String when rule.Inputs.GetString() == "all" => null,
                JsonValueKind.Array => rule.Inputs.EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                _ => ThrowHelper.Throw<int[]>($"Hardware config '{source}': operations.{op}.inputs must be a list of input indices or \"all\"."),
            };
            ops[op] = new OperationRule
            {
                Inputs = inputs,
                Bias = rule.Bias,
                QuantizeOutput = rule.QuantizeOutput,
                ActivationsOnly = rule.ActivationsOnly,
                SharedScale = rule.SharedScale,
            };
        }

        return new HardwareConfig
        {
            Name = dto.Name,
            Description = dto.Description ?? string.Empty,
            Activations = dto.Activations.ToRule(),
            Weights = dto.Weights.ToRule(),
            Operations = ops,
            PassThrough = (dto.PassThrough ?? []).ToHashSet(),
            FusableActivations = (dto.FusableActivations ?? []).ToHashSet(),
        };
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    private sealed class Dto
    {
        public string? Name { get; set; }
        public string? Description { get; set; }
        public QuantizerDto? Activations { get; set; }
        public QuantizerDto? Weights { get; set; }
        public Dictionary<string, OperationDto>? Operations { get; set; }
        public string[]? PassThrough { get; set; }
        public string[]? FusableActivations { get; set; }
    }

    private sealed class QuantizerDto
    {
        public int Bits { get; set; } = 8;
        public string? Mode { get; set; }
        public string? Granularity { get; set; }
        public bool NarrowRange { get; set; }

        public QuantizerRule ToRule() => new(Bits, Mode ?? "symmetric", Granularity ?? "per_tensor", NarrowRange);
    }

    private sealed class OperationDto
    {
        public JsonElement Inputs { get; set; }
        public int? Bias { get; set; }
        public bool QuantizeOutput { get; set; }
        public bool ActivationsOnly { get; set; }
        public bool SharedScale { get; set; }
    }
}
