using System.Numerics.Tensors;

namespace PtqSharp.Statistics;

/// <summary>
/// The largest and smallest values of a tensor over all samples, enough of them to read the quantile
/// that leaves a share <paramref name="Share"/> of the values outside at each end (see <see cref="TensorTails"/>).
/// The tensor leaves the runtime whole but is only scanned when its sample extremes reach the tails kept
/// so far, so percentile and quantile ranges cost about what min/max does, in the same pass.
/// </summary>
/// <param name="Share">The share of values beyond the quantile at each end (1e-5 for the 99.999th percentile).</param>
internal sealed record TailStatistic(double Share) : TensorStatistic
{
    /// <summary>At most this many values per tail and tensor (256 KiB): past it the quantile reads the last kept value, a slightly wider range.</summary>
    private const int MaxKept = 1 << 16;

    public override IReadOnlyList<string> Instrument(ModelInstrumentation model, string tensor) => [model.Expose(tensor)];

    public override IStatisticAccumulator CreateAccumulator(int runs) => new Accumulator(Share, runs);

    private sealed class Accumulator(double share, int runs) : IStatisticAccumulator
    {
        private LargestValues? _largest, _negatedSmallest;
        private long _total;

        public object Result => new TensorTails(_largest?.Descending() ?? [], _negatedSmallest?.Descending().Select(v => -v).ToArray() ?? [], _total);

        public void Add(int part, ReadOnlySpan<float> values)
        {
            if (values.IsEmpty) return;
            if (_largest is null)
            {
                // Sized from the first run: (share x values per run x runs) is the rank of the quantile over all of them, plus one to read it.
                long needed = (long)Math.Ceiling(share * values.Length * runs) + 1;
                int capacity = (int)Math.Min(needed, MaxKept);
                _largest = new LargestValues(capacity);
                _negatedSmallest = new LargestValues(capacity);
            }

            _total += values.Length;

            // Most runs reach neither tail: one vectorized pass each rules them out.
            if (TensorPrimitives.Max(values) is var max && !(max <= _largest.Threshold)) _largest.Add(values, negate: false);
            if (TensorPrimitives.Min(values) is var min && !(-min <= _negatedSmallest!.Threshold)) _negatedSmallest.Add(values, negate: true);
        }
    }
}
