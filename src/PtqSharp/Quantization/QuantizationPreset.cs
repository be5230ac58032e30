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
