namespace PtqSharp.Hardware.Metatypes;

/// <summary>Where an op reads its weight and how the weight's axes are laid out.</summary>
/// <param name="Input">The input index that holds the weight when it is a constant.</param>
/// <param name="OutputChannelAxis">The weight axis of output channels (per-channel scales run along it); negative counts from the end.</param>
/// <param name="InputChannelAxis">The weight axis the op sums over with the activation's channels.</param>
/// <param name="TransposedBy">An attribute that, when non-zero, swaps the two axes (Gemm's transB).</param>
/// <param name="PerChannelRank">When set, per-channel scales only for weights of this rank.</param>
internal sealed record WeightPort(int Input, int OutputChannelAxis, int InputChannelAxis, string? TransposedBy, int? PerChannelRank);
