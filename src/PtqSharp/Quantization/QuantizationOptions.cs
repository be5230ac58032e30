using PtqSharp.Hardware;
using PtqSharp.Quantization.RangeEstimation;

namespace PtqSharp.Quantization;

/// <summary>
/// POT/NNCF presets: which of the quantizers a device allows are used. A device that does not allow
/// a preset's choice falls back to what it does allow (accuracy becomes mixed where weights must be
/// symmetric; everything is symmetric on GNA).
/// </summary>
public enum QuantizationPreset
{
    /// <summary>Symmetric activations and weights, fewest bits: fastest kernels.</summary>
    Performance,

    /// <summary>Asymmetric activations, symmetric weights: better for tensors whose range is not centred on zero.</summary>
    Mixed,

    /// <summary>Asymmetric activations and weights, most bits the device allows.</summary>
    Accuracy,
}

/// <summary>
/// Where to narrow weights to 7 bits so the u8 x s8 multiply-add of CPUs without VNNI (AVX2, AVX-512
/// without VNNI) cannot saturate its int16 intermediate.
/// </summary>
public enum OverflowFix
{
    /// <summary>Only the first weighted layers, whose inputs (raw images) fill the uint8 range most.</summary>
    FirstLayer,

    /// <summary>Every weighted layer: exact on any CPU, at some cost in weight precision.</summary>
    All,

    /// <summary>Full 8-bit weights everywhere: for VNNI CPUs and GPUs.</summary>
    None,
}

/// <summary>Model families with their own quantization scheme, as POT's model_type.</summary>
public enum ModelType
{
    /// <summary>Every op type the device rules list.</summary>
    Default,

    /// <summary>Only MatMul/Gemm (and Conv): LayerNorm, Softmax and GELU pieces and residual adds stay float; SmoothQuant first; symmetric inputs for activation x activation MatMuls.</summary>
    Transformer,
}

/// <summary>Nodes that stay in float: by exact name, by regular expression over names, or by op type.</summary>
public sealed record IgnoredScope
{
    public static readonly IgnoredScope Empty = new();

    public IReadOnlyList<string> Names { get; init; } = [];

    /// <summary>.NET regular expressions matched against the whole node name.</summary>
    public IReadOnlyList<string> Patterns { get; init; } = [];

    public IReadOnlyList<string> Types { get; init; } = [];

    public bool IsEmpty => Names.Count == 0 && Patterns.Count == 0 && Types.Count == 0;
}

/// <summary>Settings of Default Quantization. Defaults follow POT and NNCF.</summary>
public sealed record QuantizationOptions
{
    public QuantizationPreset Preset { get; init; } = QuantizationPreset.Performance;

    public TargetDevice TargetDevice { get; init; } = TargetDevice.Any;

    /// <summary>Your own device rules (<see cref="HardwareConfig.Load"/>); when set, they replace <see cref="TargetDevice"/>'s.</summary>
    public HardwareConfig? HardwareConfig { get; init; }

    /// <summary>Number of calibration samples drawn from the dataset.</summary>
    public int SubsetSize { get; init; } = 300;

    /// <summary>Samples per inference during calibration; needs a dynamic batch dimension when above 1.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>Seed of the subset sampling; the same seed and data give the same model.</summary>
    public int Seed { get; init; }

    public IgnoredScope IgnoredScope { get; init; } = IgnoredScope.Empty;

    public OverflowFix OverflowFix { get; init; } = OverflowFix.FirstLayer;

    /// <summary>How activation ranges are chosen; histogram-based estimators add a second calibration pass.</summary>
    public RangeEstimator ActivationRange { get; init; } = RangeEstimator.Default;

    /// <summary>How weight ranges are chosen, per output channel.</summary>
    public RangeEstimator WeightRange { get; init; } = RangeEstimator.Default;

    public ModelType ModelType { get; init; } = ModelType.Default;

    /// <summary>SmoothQuant's migration strength for transformer MatMuls; 0 turns it off.</summary>
    public float SmoothQuantAlpha { get; init; } = 0.95f;

    /// <summary>Fold the output shift that weight rounding causes back into biases (POT's FastBiasCorrection by default).</summary>
    public BiasCorrectionMode BiasCorrection { get; init; } = BiasCorrectionMode.Fast;

    /// <summary>Samples not used for calibration on which FP32 and INT8 outputs are compared; 0 to skip.</summary>
    public int HoldOutSize { get; init; } = 100;

    /// <summary>The rules in force: the user's hardware config, else the target device's.</summary>
    internal HardwareConfig Rules => HardwareConfig ?? Hardware.HardwareConfig.For(TargetDevice);

    internal void Validate()
    {
        if (SubsetSize < 1) ThrowHelper.Throw($"Subset size must be at least 1 (got {SubsetSize}).");
        if (BatchSize < 1) ThrowHelper.Throw($"Batch size must be at least 1 (got {BatchSize}).");
        if (HoldOutSize < 0) ThrowHelper.Throw($"Hold-out size cannot be negative (got {HoldOutSize}).");
        if (!(SmoothQuantAlpha is >= 0 and <= 1)) ThrowHelper.Throw($"SmoothQuant alpha must be in [0, 1] (got {SmoothQuantAlpha}).");
        ActivationRange.Validate("Activation range");
        WeightRange.Validate("Weight range");
        if (WeightRange.Kind == RangeEstimatorKind.Entropy) ThrowHelper.Throw("The entropy range estimator is for activations; for weights use minmax, quantile, percentile or mse.");
    }
}
