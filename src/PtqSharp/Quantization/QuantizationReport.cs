using PtqSharp.Evaluation;

namespace PtqSharp.Quantization;

/// <summary>What Default Quantization did and how close the result is to the float model.</summary>
public sealed record QuantizationReport
{
    /// <summary>The rules' name, e.g. "ANY".</summary>
    public required string TargetDevice { get; init; }

    /// <summary>The preset asked for.</summary>
    public required QuantizationPreset Preset { get; init; }

    /// <summary>What the preset amounts to on the device (accuracy is mixed on CPU, performance on GNA).</summary>
    public required QuantizationPreset EffectivePreset { get; init; }

    /// <summary>The integer types each op type reads in the written model.</summary>
    public required PrecisionReport Precision { get; init; }

    /// <summary>The overflow fix applied (none on devices that do not saturate).</summary>
    public required OverflowFix OverflowFix { get; init; }

    /// <summary>The input model's opset, before the upgrade to 13.</summary>
    public required int OriginalOpset { get; init; }

    /// <summary>Quantized and quantizable ops per op type.</summary>
    public required IReadOnlyList<OpTypeCount> OpTypes { get; init; }

    /// <summary>Quantizable ops left in float, and why.</summary>
    public required IReadOnlyList<SkippedNode> Skipped { get; init; }

    /// <summary>Ops that run on integers.</summary>
    public int QuantizedOps => OpTypes.Sum(o => o.Quantized);

    /// <summary>Ops the device rules would quantize.</summary>
    public int QuantizableOps => OpTypes.Sum(o => o.Total);

    /// <summary>Activation tensors that got a quantizer.</summary>
    public required int ActivationQuantizers { get; init; }

    /// <summary>Exact graph rewrites applied before quantization (a constant scale folded into weights, a division turned into a multiplication), with counts.</summary>
    public required IReadOnlyList<GraphRewriteCount> Rewrites { get; init; }

    /// <summary>Biased layers whose bias FastBiasCorrection corrected (0 when off).</summary>
    public required int BiasesCorrected { get; init; }

    /// <summary>First layers whose weights GPTQ rounded by output error, by node name; empty when none.</summary>
    public IReadOnlyList<string> GptqRounded { get; init; } = [];

    /// <summary>Size of the float model in bytes.</summary>
    public required long SizeBefore { get; init; }

    /// <summary>Size of the QDQ model in bytes.</summary>
    public required long SizeAfter { get; init; }

    /// <summary>The samples that calibrated, by index into the calibration dataset.</summary>
    public required IReadOnlyList<int> CalibrationSamples { get; init; }

    /// <summary>The samples held out of calibration (the FP32 vs INT8 comparison runs on them), by index.</summary>
    public required IReadOnlyList<int> HoldOutSamples { get; init; }

    /// <summary>FP32 vs INT8 on samples not used for calibration; null if none were held out.</summary>
    public OutputAgreement? HoldOutAgreement { get; init; }

    /// <summary>What latency-aware quantization measured and kept in float for speed; null when it was off.</summary>
    public LatencyReport? Latency { get; init; }

    /// <summary>The integer kernels ONNX Runtime fuses the model into.</summary>
    public required FusedKernelReport Kernels { get; init; }

    /// <summary>Time to the written model: preprocessing, statistics, parameters.</summary>
    public required TimeSpan CalibrationTime { get; init; }

    /// <summary>Time including the held-out comparison and the kernel check.</summary>
    public required TimeSpan TotalTime { get; init; }

    /// <summary>The report as indented JSON with snake_case keys, as <see cref="ReportJson"/> writes every report (the <c>report</c> of <c>ptq quantize --json</c>).</summary>
    public string ToJson() => ReportJson.Serialize(this);
}
