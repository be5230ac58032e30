namespace PtqSharp.Quantization;

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
