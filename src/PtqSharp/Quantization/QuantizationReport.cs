using PtqSharp.Evaluation;

namespace PtqSharp.Quantization;

/// <summary>How many ops of one type were quantized.</summary>
public sealed record OpTypeCount(string OpType, int Quantized, int Total);

/// <summary>A quantizable op left in float, and why.</summary>
public sealed record SkippedNode(string Name, string OpType, string Reason);

/// <summary>What Default Quantization did and how close the result is to the float model.</summary>
public sealed record QuantizationReport
{
    public required string TargetDevice { get; init; }

    public required QuantizationPreset Preset { get; init; }

    /// <summary>What the preset amounts to on the device (accuracy is mixed on CPU, performance on GNA).</summary>
    public required QuantizationPreset EffectivePreset { get; init; }

    /// <summary>The integer types each op type reads in the written model.</summary>
    public required PrecisionReport Precision { get; init; }

    public required OverflowFix OverflowFix { get; init; }

    public required int OriginalOpset { get; init; }

    public required IReadOnlyList<OpTypeCount> OpTypes { get; init; }

    public required IReadOnlyList<SkippedNode> Skipped { get; init; }

    public int QuantizedOps => OpTypes.Sum(o => o.Quantized);

    public int QuantizableOps => OpTypes.Sum(o => o.Total);

    public required int ActivationQuantizers { get; init; }

    /// <summary>Biased layers whose bias FastBiasCorrection corrected (0 when off).</summary>
    public required int BiasesCorrected { get; init; }

    public required long SizeBefore { get; init; }

    public required long SizeAfter { get; init; }

    /// <summary>The samples that calibrated, by index into the calibration dataset.</summary>
    public required IReadOnlyList<int> CalibrationSamples { get; init; }

    /// <summary>The samples held out of calibration (the FP32 vs INT8 comparison runs on them), by index.</summary>
    public required IReadOnlyList<int> HoldOutSamples { get; init; }

    /// <summary>FP32 vs INT8 on samples not used for calibration; null if none were held out.</summary>
    public OutputAgreement? HoldOutAgreement { get; init; }

    public required FusedKernelReport Kernels { get; init; }

    public required TimeSpan CalibrationTime { get; init; }

    public required TimeSpan TotalTime { get; init; }
}
