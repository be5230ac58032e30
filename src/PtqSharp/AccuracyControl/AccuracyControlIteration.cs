namespace PtqSharp.AccuracyControl;

/// <summary>One step of accuracy control and the full-set result after it.</summary>
/// <param name="Number">0 for Default Quantization, then one per full evaluation.</param>
/// <param name="Action">What was tried, e.g. "revert conv5 (Conv)".</param>
/// <param name="Score">The metric on the whole validation set.</param>
/// <param name="Drop">Drop from the FP32 baseline, in the configured drop type.</param>
/// <param name="Kept">False when the step made things worse and was stepped back.</param>
/// <param name="RevertedCount">Ops in float after this step.</param>
/// <param name="Seconds">Wall time since the start of the run.</param>
public sealed record AccuracyControlIteration(int Number, string Action, double Score, double Drop, bool Kept, int RevertedCount, double Seconds);
