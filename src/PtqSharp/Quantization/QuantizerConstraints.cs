using PtqSharp.Hardware;

namespace PtqSharp.Quantization;

/// <summary>
/// Requirements on a quantizer, as POT's <c>weights</c> and <c>activations</c> sections and NNCF's
/// quantization parameters: each field left null is the preset's and the device's choice. A
/// requirement the device's rules cannot meet is an error, not a silently different model.
/// </summary>
public sealed record QuantizerConstraints
{
    /// <summary>No requirements.</summary>
    public static readonly QuantizerConstraints None = new();

    /// <summary>Bit width: 8 or 16.</summary>
    public int? Bits { get; init; }

    /// <summary>Symmetric or asymmetric.</summary>
    public QuantizationMode? Mode { get; init; }

    /// <summary>Per tensor or per channel.</summary>
    public Granularity? Granularity { get; init; }

    /// <summary>Whether the lowest level is left out (-127..127 rather than -128..127).</summary>
    public bool? NarrowRange { get; init; }

    /// <summary>True when nothing is required.</summary>
    public bool IsEmpty => Bits is null && Mode is null && Granularity is null && NarrowRange is null;

    /// <summary>Whether <paramref name="config"/> meets every requirement.</summary>
    /// <param name="config">A quantizer a device allows.</param>
    public bool Allows(QuantizerConfig config) =>
        (Bits is null || Bits == config.Bits) && (Mode is null || Mode == config.Mode)
        && (Granularity is null || Granularity == config.Granularity) && (NarrowRange is null || NarrowRange == config.NarrowRange);

    /// <summary>e.g. "8 bits, symmetric".</summary>
    public override string ToString() => string.Join(", ", new[]
    {
        Bits is int b ? $"{b} bits" : null,
        Mode?.ToString().ToLowerInvariant(),
        Granularity is { } g ? (g == Hardware.Granularity.PerChannel ? "per channel" : "per tensor") : null,
        NarrowRange is bool n ? (n ? "narrow range" : "full range") : null,
    }.OfType<string>());
}
