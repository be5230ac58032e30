namespace PtqSharp.Quantization.WeightCompression;

/// <summary>How weights are stored (NNCF's <c>CompressWeightsMode</c>): activations stay in float.</summary>
public enum WeightCompressionMode
{
    /// <summary>4-bit, symmetric per group: the value of largest magnitude maps to -8 (all 16 levels used), no zero point.</summary>
    Int4Symmetric,

    /// <summary>4-bit, asymmetric per group: min..max over 0..15 with a zero point per group.</summary>
    Int4Asymmetric,

    /// <summary>8-bit, symmetric per group.</summary>
    Int8Symmetric,

    /// <summary>8-bit, asymmetric per group.</summary>
    Int8Asymmetric,
}
