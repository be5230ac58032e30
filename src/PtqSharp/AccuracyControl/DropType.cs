namespace PtqSharp.AccuracyControl;

/// <summary>How the accuracy drop is measured against the FP32 baseline.</summary>
public enum DropType
{
    /// <summary>baseline - quantized, in the metric's units (0.01 = one point of a 0..1 accuracy).</summary>
    Absolute,

    /// <summary>(baseline - quantized) / |baseline|.</summary>
    Relative,
}
