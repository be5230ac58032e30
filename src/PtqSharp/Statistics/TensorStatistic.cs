namespace PtqSharp.Statistics;

/// <summary>
/// What is computed on a tensor for each sample (the reducer, added to the graph where it can be so
/// only a few numbers leave the runtime) and how the per-sample results combine (the aggregator).
/// Records, so two steps asking for the same statistic of the same tensor share one reducer.
/// </summary>
internal abstract record TensorStatistic
{
    /// <summary>Adds what computes the statistic of <paramref name="tensor"/> to the instrumented model; returns the outputs to read, in order.</summary>
    public abstract IReadOnlyList<string> Instrument(ModelInstrumentation model, string tensor);

    /// <summary>A fresh aggregator for one tensor, of a pass that will run the model <paramref name="runs"/> times (once per batch).</summary>
    public abstract IStatisticAccumulator CreateAccumulator(int runs);
}

/// <summary>Combines the per-sample values of one statistic point.</summary>
internal interface IStatisticAccumulator
{
    /// <summary>The values of output <paramref name="part"/> (of those <see cref="TensorStatistic.Instrument"/> returned) for the current sample; valid only during the call.</summary>
    void Add(int part, ReadOnlySpan<float> values);

    /// <summary>The aggregated statistic: its type is the statistic's (see each <see cref="TensorStatistic"/>).</summary>
    object Result { get; }
}
