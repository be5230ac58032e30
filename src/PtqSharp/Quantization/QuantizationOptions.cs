using PtqSharp.Execution;
using PtqSharp.Hardware;

namespace PtqSharp.Quantization;

/// <summary>Settings of Default Quantization. Defaults follow POT and NNCF.</summary>
public sealed record QuantizationOptions
{
    /// <summary>Which of the quantizers the device allows are used.</summary>
    public QuantizationPreset Preset { get; init; } = QuantizationPreset.Performance;

    /// <summary>Whose rules decide what is quantized and with which quantizers.</summary>
    public TargetDevice TargetDevice { get; init; } = TargetDevice.Any;

    /// <summary>Your own device rules (<see cref="HardwareConfig.Load"/>); when set, they replace <see cref="TargetDevice"/>'s.</summary>
    public HardwareConfig? HardwareConfig { get; init; }

    /// <summary>Number of calibration samples drawn from the dataset.</summary>
    public int SubsetSize { get; init; } = 300;

    /// <summary>Samples per inference during calibration; needs a dynamic batch dimension when above 1.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>
    /// Draw the calibration and hold-out samples at random (by <see cref="Seed"/>); false takes the first
    /// samples in dataset order, as POT's shuffle_data false does. Random is the default because folders
    /// often group samples by class.
    /// </summary>
    public bool ShuffleData { get; init; } = true;

    /// <summary>Seed of the subset sampling; the same seed and data give the same model.</summary>
    public int Seed { get; init; }

    /// <summary>Nodes kept in float.</summary>
    public IgnoredScope IgnoredScope { get; init; } = IgnoredScope.Empty;

    /// <summary>Where 8-bit weights are narrowed to 7 bits (on devices whose rules allow it).</summary>
    public OverflowFix OverflowFix { get; init; } = OverflowFix.FirstLayer;

    /// <summary>
    /// Round the first layers' (symmetric) weights by GPTQ, against the layer's output error on the calibration data,
    /// instead of to nearest (on by default): it more than recovers the bit the overflow fix takes from them.
    /// </summary>
    public bool FirstLayerGptq { get; init; } = true;

    /// <summary>What activation quantizers must be (POT's activations section: bits, mode, granularity); the preset picks among what the device allows that fits.</summary>
    public QuantizerConstraints ActivationConstraints { get; init; } = QuantizerConstraints.None;

    /// <summary>What weight quantizers must be (POT's weights section).</summary>
    public QuantizerConstraints WeightConstraints { get; init; } = QuantizerConstraints.None;

    /// <summary>How activation ranges are chosen (the 99.999th percentile by default); entropy and MSE add a second calibration pass.</summary>
    public RangeEstimator ActivationRange { get; init; } = RangeEstimator.DefaultActivations;

    /// <summary>How weight ranges are chosen, per output channel (min/max by default).</summary>
    public RangeEstimator WeightRange { get; init; } = RangeEstimator.MinMax;

    /// <summary>A model family with its own scheme (transformer).</summary>
    public ModelType ModelType { get; init; } = ModelType.Default;

    /// <summary>SmoothQuant's migration strength for transformer MatMuls; 0 turns it off.</summary>
    public float SmoothQuantAlpha { get; init; } = 0.95f;

    /// <summary>Fold the output shift that weight rounding causes back into biases (POT's FastBiasCorrection by default).</summary>
    public BiasCorrectionMode BiasCorrection { get; init; } = BiasCorrectionMode.Fast;

    /// <summary>Samples not used for calibration on which FP32 and INT8 outputs are compared; 0 to skip.</summary>
    public int HoldOutSize { get; init; } = 100;

    /// <summary>Keep in float the ops whose integer kernels run slower than float on this machine, so INT8 is never slower than FP32 (on by default).</summary>
    public LatencyAwareOptions LatencyAware { get; init; } = new();

    /// <summary>The execution provider and session settings the run's ONNX Runtime sessions use; <see cref="RuntimeOptions.Default"/> when null.</summary>
    public RuntimeOptions? Runtime { get; init; }

    /// <summary>The rules in force: the user's hardware config, else the target device's.</summary>
    internal HardwareConfig Rules => HardwareConfig ?? Hardware.HardwareConfig.For(TargetDevice);

    internal void Validate()
    {
        if (SubsetSize < 1) ThrowHelper.Throw($"Subset size must be at least 1 (got {SubsetSize}).");
        if (BatchSize < 1) ThrowHelper.Throw($"Batch size must be at least 1 (got {BatchSize}).");
        if (HoldOutSize < 0) ThrowHelper.Throw($"Hold-out size cannot be negative (got {HoldOutSize}).");
        if (!(SmoothQuantAlpha is >= 0 and <= 1)) ThrowHelper.Throw($"SmoothQuant alpha must be in [0, 1] (got {SmoothQuantAlpha}).");
        LatencyAware.Validate();
        ActivationRange.Validate("Activation range");
        WeightRange.Validate("Weight range");
        if (WeightRange.ClipMin is not null || WeightRange.ClipMax is not null) ThrowHelper.Throw("Clipping values apply to activation ranges only; weights are clipped by their range estimator.");
        if (WeightRange.Kind == RangeEstimatorKind.Entropy) ThrowHelper.Throw("The entropy range estimator is for activations; for weights use minmax, quantile, percentile or mse.");
    }
}
