using System.Reflection;
using PtqSharp.Quantization;

namespace PtqSharp.Hardware;

/// <summary>
/// A device's quantization rules, loaded from JSON (<c>Hardware/Configs/*.json</c>, or a user's file):
/// which quantizer configurations it accepts for activations and weights, per op type where they
/// differ; which ops are quantized and how; which ops pass quantization through; which activations
/// fuse into the op before them. The preset then picks one configuration from what is allowed.
/// </summary>
public sealed record HardwareConfig
{
    /// <summary>The device's name, e.g. "CPU".</summary>
    public required string Name { get; init; }

    /// <summary>What the rules are for, in a sentence.</summary>
    public string Description { get; init; } = string.Empty;

    /// <summary>Whether 8-bit weights may be narrowed to 7 bits against u8 x s8 saturation (x86 CPUs without VNNI).</summary>
    public bool OverflowFix { get; init; }

    /// <summary>
    /// Whether models for this device run where they are quantized (ONNX Runtime on this CPU), so timing them
    /// here says how they will run: latency-aware quantization measures only such devices.
    /// </summary>
    public bool RunsOnHost { get; init; }

    /// <summary>
    /// Whether LSTMs with constant weights become ONNX Runtime's DynamicQuantizeLSTM (com.microsoft, CPU): int8
    /// weights per gate row, activations quantized at run time. A runtime-specific op, so only for devices that are
    /// ONNX Runtime on a CPU; portable (ANY) models keep their LSTMs.
    /// </summary>
    public bool DynamicLstm { get; init; }

    /// <summary>
    /// The channel count the device's integer depthwise kernels run fastest at a multiple of (1: any): depthwise
    /// convolutions are padded with zero channels up to it (see <c>Quantization/Rewrites/DepthwiseChannelPadding.cs</c>).
    /// </summary>
    public int DepthwiseChannelMultiple { get; init; } = 1;

    /// <summary>
    /// Whether swish (x * Sigmoid(alpha x)) runs as ONNX Runtime's QuickGelu (com.microsoft) in float between the
    /// quantizers around it, faster than QLinearSigmoid and QLinearMul (see <c>Quantization/Rewrites/SwishAsQuickGelu.cs</c>).
    /// Devices that read com.microsoft QuickGelu only: ONNX Runtime, and OpenVINO's ONNX reader.
    /// </summary>
    public bool SwishAsQuickGelu { get; init; }

    /// <summary>Activation quantizers the device accepts, in order of preference.</summary>
    public required IReadOnlyList<QuantizerConfig> Activations { get; init; }

    /// <summary>Weight quantizers the device accepts, in order of preference.</summary>
    public required IReadOnlyList<QuantizerConfig> Weights { get; init; }

    /// <summary>The op types that are quantized, and how.</summary>
    public required IReadOnlyDictionary<string, OperationRule> Operations { get; init; }

    /// <summary>Ops that only move data: their output takes their input's quantizer, so the runtime drops the Q/DQ pair around them.</summary>
    public IReadOnlySet<string> PassThrough { get; init; } = new HashSet<string>();

    /// <summary>Activations (Relu, Clip) that fuse into the integer op before them: its output is quantized after them.</summary>
    public IReadOnlySet<string> FusableActivations { get; init; } = new HashSet<string>();

    /// <summary>Activation quantizers allowed at the inputs and output of an op type.</summary>
    public IReadOnlyList<QuantizerConfig> ActivationsFor(string opType) =>
        Operations.TryGetValue(opType, out var rule) && rule.Activations is { } a ? a : Activations;

    /// <summary>Weight quantizers allowed for an op type.</summary>
    public IReadOnlyList<QuantizerConfig> WeightsFor(string opType) =>
        Operations.TryGetValue(opType, out var rule) && rule.Weights is { } w ? w : Weights;

    /// <summary>The activation quantizer a preset selects on this device (ops may narrow it; see <see cref="ActivationsFor"/>).</summary>
    /// <param name="preset">Performance takes symmetric quantizers and the fewest bits, mixed and accuracy asymmetric activations and the most bits.</param>
    public QuantizerConfig ActivationQuantizer(QuantizationPreset preset) => QuantizerSelection.Choose(Activations, preset, weights: false);

    /// <summary>The weight quantizer a preset selects on this device.</summary>
    /// <param name="preset">Accuracy takes asymmetric weights where allowed, the others symmetric.</param>
    public QuantizerConfig WeightQuantizer(QuantizationPreset preset) => QuantizerSelection.Choose(Weights, preset, weights: true);

    /// <summary>What a preset amounts to on this device: accuracy is mixed where weights must be symmetric, every preset is performance on GNA.</summary>
    /// <param name="preset">The preset asked for.</param>
    public QuantizationPreset EffectivePreset(QuantizationPreset preset) => QuantizerSelection.Effective(this, preset);

    /// <summary>The devices with built-in rules, VPU folded into NPU.</summary>
    public static IReadOnlyList<TargetDevice> Devices { get; } =
        [TargetDevice.Any, TargetDevice.Cpu, TargetDevice.Gpu, TargetDevice.Npu, TargetDevice.Gna, TargetDevice.Gna3, TargetDevice.CpuSpr];

    /// <summary>The built-in rules of <paramref name="device"/>.</summary>
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
        FilePaths.ThrowIfNotFile(path, "Hardware config");
        using var stream = File.OpenRead(path);
        return Parse(stream, path);
    }

    internal static HardwareConfig Parse(Stream json, string source) => HardwareConfigParser.Parse(json, source);
}
