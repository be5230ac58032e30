using System.Numerics;

namespace PtqSharp.Statistics;

/// <summary>
/// The largest and smallest values of a tensor over all samples, enough of them to read the quantile
/// that leaves a share <paramref name="Share"/> of the values outside at each end (see <see cref="TensorTails"/>).
/// The tensor leaves the runtime whole and is scanned once, vectorized, in the pass min/max uses.
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
            Scan(values, _largest, _negatedSmallest!);
        }

        /// <summary>
        /// One vectorized pass for both tails: a block of values is looked at one by one only when one of
        /// them beats a tail's threshold, which after the first runs is rare, so the pass runs at memory speed.
        /// </summary>
        private static void Scan(ReadOnlySpan<float> values, LargestValues largest, LargestValues negatedSmallest)
        {
            int width = Vector<float>.Count, i = 0;
            var high = new Vector<float>(largest.Threshold);
            var low = new Vector<float>(-negatedSmallest.Threshold);
            for (; i + width <= values.Length; i += width)
            {
                var block = new Vector<float>(values.Slice(i, width));

                // NaN compares false both ways, so a block of NaNs is skipped here and never enters a tail.
                if (Vector.EqualsAll(Vector.GreaterThan(block, high) | Vector.LessThan(block, low), Vector<int>.Zero)) continue;
                largest.Add(values.Slice(i, width), negate: false);
                negatedSmallest.Add(values.Slice(i, width), negate: true);
                high = new Vector<float>(largest.Threshold);
                low = new Vector<float>(-negatedSmallest.Threshold);
            }

            largest.Add(values[i..], negate: false);
            negatedSmallest.Add(values[i..], negate: true);
        }
    }
}
