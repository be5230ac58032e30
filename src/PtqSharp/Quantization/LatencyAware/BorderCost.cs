using Onnx;

namespace PtqSharp.Quantization.LatencyAware;

/// <summary>
/// The quantizers that keeping a set of ops in float adds: each activation quantizer shared between an
/// op in the set and one outside becomes a QuantizeLinear or DequantizeLinear that runs on its own,
/// costing its tensor's elements at the per-element rate the profile measured. Ops that share a
/// quantizer are neighbours; connected neighbours form the regions the report names.
/// </summary>
internal sealed class BorderCost
{
    private readonly Dictionary<NodeProto, List<int>> _groupsOf = new(ReferenceEqualityComparer.Instance);
    private readonly List<List<NodeProto>> _members = [];
    private readonly List<long> _elements = [];
    private readonly double _perElement;

    public BorderCost(QuantizationPlan plan, IReadOnlyDictionary<string, long> elements, double microsecondsPerElement)
    {
        _perElement = microsecondsPerElement;
        var groupOf = new Dictionary<string, int>();
        foreach (var group in plan.Groups)
        {
            foreach (var t in group.Tensors) groupOf[t] = _members.Count;
            _members.Add([]);
            _elements.Add(group.Tensors.Max(t => elements.GetValueOrDefault(t)));
        }

        foreach (var op in plan.Ops)
        {
            var touched = op.ActivationInputs.Append(op.KernelOutput)
                .Where(groupOf.ContainsKey).Select(t => groupOf[t]).Distinct().ToList();
            _groupsOf[op.Node] = touched;
            foreach (var g in touched) _members[g].Add(op.Node);
        }
    }

    /// <summary>Estimated microseconds per run of the quantizers at the borders of <paramref name="ops"/>.</summary>
    public double Of(IEnumerable<NodeProto> ops)
    {
        var set = ops.ToHashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        return set.SelectMany(o => _groupsOf.GetValueOrDefault(o) ?? []).Distinct()
            .Where(g => _members[g].Any(m => !set.Contains(m)))
            .Sum(g => _elements[g] * _perElement);
    }

    /// <summary><paramref name="ops"/> split into groups connected through shared quantizers.</summary>
    public IReadOnlyList<IReadOnlyList<NodeProto>> Regions(IReadOnlyList<NodeProto> ops)
    {
        var set = ops.ToHashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var seen = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var regions = new List<IReadOnlyList<NodeProto>>();
        foreach (var start in ops)
        {
            if (!seen.Add(start)) continue;
            var region = new List<NodeProto>();
            var stack = new Stack<NodeProto>([start]);
            while (stack.Count > 0)
            {
                var op = stack.Pop();
                region.Add(op);
                foreach (var next in (_groupsOf.GetValueOrDefault(op) ?? []).SelectMany(g => _members[g]))
                {
                    if (set.Contains(next) && seen.Add(next)) stack.Push(next);
                }
            }

            regions.Add(region);
        }

        return regions;
    }
}
