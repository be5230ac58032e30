namespace PtqSharp.AccuracyControl;

/// <summary>An op left in float in the final model, and the evidence for it.</summary>
/// <param name="Name">Node name.</param>
/// <param name="OpType">ONNX op type.</param>
/// <param name="Iteration">The iteration that reverted it.</param>
/// <param name="Rank">Its place in the ranking it was picked from (1 = most helpful).</param>
/// <param name="Candidates">How many ops that ranking compared.</param>
/// <param name="RankingScore">Metric on the ranking subset with this op in float (minus output NMSE without per-sample values); NaN when a re-ranking left it below the head it ranked.</param>
public sealed record AccuracyControlRevertedOp(string Name, string OpType, int Iteration, int Rank, int Candidates, double RankingScore);
