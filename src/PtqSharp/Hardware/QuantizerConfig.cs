namespace PtqSharp.Hardware;

/// <summary>
/// One quantizer configuration a device accepts: bit width, symmetric or asymmetric, per tensor or per
/// output channel, whether the lowest level is dropped (narrow range, -127..127) and whether the
/// integers are stored signed (int8/int16) or unsigned (uint8/uint16).
/// </summary>
/// <param name="Bits">8 or 16.</param>
/// <param name="Mode">Symmetric or asymmetric.</param>
/// <param name="Granularity">Per tensor or per output channel.</param>
/// <param name="NarrowRange">Whether the lowest level is left out (-127..127 for int8).</param>
/// <param name="Signed">Whether the integers are stored signed.</param>
public sealed record QuantizerConfig(int Bits, QuantizationMode Mode, Granularity Granularity, bool NarrowRange, bool Signed)
{
    /// <summary>Short form for reports, e.g. "u8 sym per-tensor" or "i16 sym per-channel narrow".</summary>
    public override string ToString() =>
        $"{(Signed ? "i" : "u")}{Bits} {(Mode == QuantizationMode.Symmetric ? "sym" : "asym")} {(Granularity == Granularity.PerChannel ? "per-channel" : "per-tensor")}{(NarrowRange ? " narrow" : "")}";
}
