namespace PtqSharp.Quantization;

/// <summary>
/// A connected group of ops kept in float because their integer kernels, with the quantizers at the
/// region's borders, ran slower than float in ONNX Runtime's profile on this machine.
/// </summary>
/// <param name="Ops">The node names, in graph order.</param>
/// <param name="OpTypes">Their op types, in the same order.</param>
/// <param name="Int8Microseconds">Profiled kernel time of the region in the INT8 model, per run, quantizers at its borders included.</param>
/// <param name="FloatMicroseconds">Profiled kernel time of the same ops in float, per run.</param>
/// <param name="BorderMicroseconds">Estimated cost of the quantizers its float borders need in the written model.</param>
public sealed record SpeedRegion(IReadOnlyList<string> Ops, IReadOnlyList<string> OpTypes, double Int8Microseconds, double FloatMicroseconds, double BorderMicroseconds)
{
    /// <summary>What keeping the region in float saves per run, by the profile: positive is faster.</summary>
    public double GainMicroseconds => Int8Microseconds - FloatMicroseconds - BorderMicroseconds;
}
