namespace PtqSharp.Hardware;

/// <summary>Whether a quantizer's range is centred on zero.</summary>
public enum QuantizationMode
{
    /// <summary>Range centred on zero: zero point 0 (or the middle of an unsigned type).</summary>
    Symmetric,
    /// <summary>Range from the observed minimum to maximum, with its own zero point.</summary>
    Asymmetric,
}
