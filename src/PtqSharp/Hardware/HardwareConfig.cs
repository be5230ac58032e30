using System.Reflection;

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

    /// <summary>Quantize only when every input is an activation (e.g. residual Add, not bias Add).</summary>
    public bool ActivationsOnly { get; init; }

    /// <summary>All quantized inputs and the output share one scale (Concat).</summary>
    public bool SharedScale { get; init; }

    /// <summary>Activation quantizers allowed for this op, overriding the device's; null: the device's.</summary>
    public IReadOnlyList<QuantizerConfig>? Activations { get; init; }

    /// <summary>Weight quantizers allowed for this op, overriding the device's; null: the device's.</summary>
    public IReadOnlyList<QuantizerConfig>? Weights { get; init; }
}

/// <summary>
/// A device's quantization rules, loaded from JSON (<c>Hardware/Configs/*.json</c>, or a user's file):
/// which quantizer configurations it accepts for activations and weights, per op type where they
/// differ; which ops are quantized and how; which ops pass quantization through; which activations
/// fuse into the op before them. The preset then picks one configuration from what is allowed.
/// </summary>
public sealed record HardwareConfig
{
    public required string Name { get; init; }

    public string Description { get; init; } = string.Empty;

    /// <summary>Whether 8-bit weights may be narrowed to 7 bits against u8 x s8 saturation (x86 CPUs without VNNI).</summary>
    public bool OverflowFix { get; init; }

    public required IReadOnlyList<QuantizerConfig> Activations { get; init; }

    public required IReadOnlyList<QuantizerConfig> Weights { get; init; }

    public required IReadOnlyDictionary<string, OperationRule> Operations { get; init; }

    public IReadOnlySet<string> PassThrough { get; init; } = new HashSet<string>();

    public IReadOnlySet<string> FusableActivations { get; init; } = new HashSet<string>();

    /// <summary>Activation quantizers allowed at the inputs and output of an op type.</summary>
    public IReadOnlyList<QuantizerConfig> ActivationsFor(string opType) =>
        Operations.TryGetValue(opType, out var rule) && rule.Activations is { } a ? a : Activations;

    /// <summary>Weight quantizers allowed for an op type.</summary>
    public IReadOnlyList<QuantizerConfig> WeightsFor(string opType) =>
        Operations.TryGetValue(opType, out var rule) && rule.Weights is { } w ? w : Weights;

    /// <summary>The devices with built-in rules, VPU folded into NPU.</summary>
    public static IReadOnlyList<TargetDevice> Devices { get; } =
        [TargetDevice.Any, TargetDevice.Cpu, TargetDevice.Gpu, TargetDevice.Npu, TargetDevice.Gna, TargetDevice.Gna3, TargetDevice.CpuSpr];

    public static HardwareConfig For(TargetDevice device)
    {
        using var stream = OpenEmbedded(device);
        return Parse(stream, FileName(device));
    }

    /// <summary>The built-in rules of a device as JSON text: a starting point for your own <c>--hardware-config</c>.</summary>
    public static string Json(TargetDevice device)
    {
        using var reader = new StreamReader(OpenEmbedded(device));
        return reader.ReadToEnd();
    }

    private static string FileName(TargetDevice device) => device switch
    {
        TargetDevice.Cpu => "cpu.json",
        TargetDevice.Gpu => "gpu.json",
        TargetDevice.Npu or TargetDevice.Vpu => "npu.json",
        TargetDevice.Gna => "gna.json",
        TargetDevice.Gna3 => "gna3.json",
        TargetDevice.CpuSpr => "cpu_spr.json",
        _ => "any.json",
    };

    private static Stream OpenEmbedded(TargetDevice device) =>
        Assembly.GetExecutingAssembly().GetManifestResourceStream("PtqSharp.Hardware." + FileName(device))
        ?? throw new InvalidOperationException($"Embedded hardware config '{FileName(device)}' is missing from the assembly.");

    /// <summary>Loads a user's rules; errors name the file and the offending key.</summary>
    public static HardwareConfig Load(string path)
    {
        if (!File.Exists(path)) ThrowHelper.Throw($"Hardware config '{path}' does not exist.");
        using var stream = File.OpenRead(path);
        return Parse(stream, path);
    }

    public static HardwareConfig Parse(Stream json, string source) => HardwareConfigParser.Parse(json, source);
}
