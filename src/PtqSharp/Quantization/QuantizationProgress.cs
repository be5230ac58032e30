namespace PtqSharp.Quantization;

/// <summary>Progress of one stage of a run: a calibration pass, an evaluation, a ranking.</summary>
/// <param name="Stage">What is running, e.g. "Collecting statistics".</param>
/// <param name="Done">Units done (samples, variants, layers).</param>
/// <param name="Total">Units in the stage.</param>
public readonly record struct QuantizationProgress(string Stage, int Done, int Total);
