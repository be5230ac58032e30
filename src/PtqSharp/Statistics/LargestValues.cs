namespace PtqSharp.Statistics;

/// <summary>
/// The <c>Capacity</c> largest values seen, in a bounded min-heap whose root is the smallest kept value:
/// a new value enters only when it beats the root, so a stream of n values costs n comparisons plus
/// log(capacity) per value kept.
/// </summary>
internal sealed class LargestValues
{
    private readonly float[] _heap;
    private int _count;

    public LargestValues(int capacity) => _heap = new float[Math.Max(1, capacity)];

    public int Capacity => _heap.Length;

    /// <summary>The value a new one must exceed to be kept; -infinity until the heap is full.</summary>
    public float Threshold => _count < _heap.Length ? float.NegativeInfinity : _heap[0];

    /// <param name="values">The values; NaN never enters.</param>
    /// <param name="negate">Keep the largest of -x (the smallest x, negated).</param>
    public void Add(ReadOnlySpan<float> values, bool negate)
    {
        foreach (var raw in values)
        {
            float v = negate ? -raw : raw;
            if (!(v > Threshold)) continue;
            if (_count < _heap.Length)
            {
                _heap[_count] = v;
                SiftUp(_count++);
            }
            else
            {
                _heap[0] = v;
                SiftDown(0);
            }
        }
    }

    /// <summary>The kept values, largest first.</summary>
    public float[] Descending()
    {
        var result = _heap.AsSpan(0, _count).ToArray();
        Array.Sort(result, (a, b) => b.CompareTo(a));
        return result;
    }

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (_heap[parent] <= _heap[i]) return;
            (_heap[parent], _heap[i]) = (_heap[i], _heap[parent]);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            int smallest = i, left = 2 * i + 1, right = left + 1;
            if (left < _count && _heap[left] < _heap[smallest]) smallest = left;
            if (right < _count && _heap[right] < _heap[smallest]) smallest = right;
            if (smallest == i) return;
            (_heap[smallest], _heap[i]) = (_heap[i], _heap[smallest]);
            i = smallest;
        }
    }
}
