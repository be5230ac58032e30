namespace PtqSharp.Quantization;

/// <summary>An exact graph rewrite applied before quantization, so more of the model runs on integer kernels.</summary>
/// <param name="Rewrite">What it does.</param>
/// <param name="Count">How many places of the graph it changed.</param>
public sealed record GraphRewriteCount(string Rewrite, int Count);
