namespace PtqSharp.Statistics;

/// <summary>
/// A statistic a quantization step needs, as NNCF's statistic points: which tensor to observe and what
/// to compute on it. Steps declare their points; <see cref="StatisticsEngine"/> collects every point of
/// a stage in one pass over the calibration samples.
/// </summary>
/// <param name="Tensor">The observed tensor, by name in the model the engine runs.</param>
/// <param name="Statistic">The per-sample reduction and how samples combine.</param>
internal sealed record StatisticPoint(string Tensor, TensorStatistic Statistic);
