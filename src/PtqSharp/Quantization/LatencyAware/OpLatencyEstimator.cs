using System.Text.RegularExpressions;
using Onnx;
using PtqSharp.Execution;
using PtqSharp.Onnx;

namespace PtqSharp.Quantization.LatencyAware;

/// <summary>One quantized op's profiled time per run: its integer kernel with the quantizers charged to it, and its float kernels.</summary>
internal sealed record OpLatency(QuantizedOp Op, double Int8Microseconds, double FloatMicroseconds)
{
    /// <summary>What running the op on integers costs over float; positive means the integer kernel is slower.</summary>
    public double Loss => Int8Microseconds - FloatMicroseconds;
}

/// <summary>
/// Charges the nodes of ONNX Runtime's profiles to the ops of a quantization plan. Both graphs are the
/// runtime's optimized ones, so nodes are fused and renamed: an integer kernel keeps its op's name
/// (plus "_token_N" where a layout pass rewrote it); a QuantizeLinear or DequantizeLinear is named
/// after the tensor the writer quantized, and is charged to the quantized ops that read it or the op
/// that wrote it; a float convolution in the NCHWc layout is named after its output tensor plus
/// "_nchwc", and goes to the op that produced that tensor. Layout and other helper nodes go to a
/// neighbour that has an owner. Nodes with no owner are left out, so estimates are lower bounds.
/// </summary>
internal sealed partial class OpLatencyEstimator
{
    private readonly QuantizationPlan _plan;
    private readonly GraphIndex _index;
    private readonly Dictionary<string, NodeProto> _byName = new();
    private readonly Dictionary<string, NodeProto> _byTensor = new();
    private readonly HashSet<NodeProto> _planOps = new(ReferenceEqualityComparer.Instance);

    public OpLatencyEstimator(QuantizationPlan plan, GraphIndex index)
    {
        _plan = plan;
        _index = index;
        foreach (var op in plan.Ops)
        {
            _planOps.Add(op.Node);
            if (op.Node.Name.Length > 0) _byName.TryAdd(op.Node.Name, op.Node);
            foreach (var output in op.Node.Output) _byTensor.TryAdd(output, op.Node);
            if (op.OutputTensor is { } t) _byTensor.TryAdd(t, op.Node);
        }
    }

    /// <summary>Per-op times from the profile of the fully quantized model and of the float model it was written from.</summary>
    public IReadOnlyDictionary<NodeProto, OpLatency> Estimate(ModelProfile int8, ModelProfile fp32)
    {
        var q = Charge(int8);
        var f = Charge(fp32);
        var result = new Dictionary<NodeProto, OpLatency>(ReferenceEqualityComparer.Instance);
        foreach (var op in _plan.Ops) result[op.Node] = new OpLatency(op, q.GetValueOrDefault(op.Node), f.GetValueOrDefault(op.Node));
        return result;
    }

    /// <summary>Elements of the plan's tensors, as the profiled kernels saw them (first input, first output).</summary>
    public IReadOnlyDictionary<string, long> TensorElements(ModelProfile int8)
    {
        var result = new Dictionary<string, long>();
        var ops = _plan.Ops.Where(o => o.Node.Name.Length > 0).GroupBy(o => o.Node.Name).ToDictionary(g => g.Key, g => g.First());
        foreach (var node in int8.Optimized.Graph.Node)
        {
            if (!int8.Nodes.TryGetValue(node.Name, out var p) || !ops.TryGetValue(Base(node.Name), out var op)) continue;
            if (p.InputElements > 0 && op.ActivationInputs.Count > 0) result.TryAdd(op.ActivationInputs[0], p.InputElements);
            if (p.OutputElements > 0) result.TryAdd(op.KernelOutput, p.OutputElements);
        }

        return result;
    }

    /// <summary>
    /// What quantizing or dequantizing one element costs here, in microseconds, from the standalone
    /// QuantizeLinear and DequantizeLinear nodes of the INT8 profile (1 ns if there are none).
    /// </summary>
    public static double QdqMicrosecondsPerElement(ModelProfile int8)
    {
        double time = 0, elements = 0;
        foreach (var p in int8.Nodes.Values)
        {
            long n = p.OpType switch { "QuantizeLinear" => p.InputElements, "DequantizeLinear" => p.OutputElements, _ => 0 };
            if (n <= 0) continue;
            time += p.Microseconds;
            elements += n;
        }

        return elements > 1000 ? time / elements : 0.001;
    }

    private Dictionary<NodeProto, double> Charge(ModelProfile profile)
    {
        var graph = profile.Optimized.Graph;
        var owners = new Dictionary<NodeProto, IReadOnlyList<NodeProto>>(ReferenceEqualityComparer.Instance);
        foreach (var node in graph.Node) owners[node] = DirectOwners(node);

        // Helper nodes (layout reorders, transposes) go to a neighbour that has an owner: a consumer first, then a producer.
        var producers = new Dictionary<string, NodeProto>();
        var consumers = new Dictionary<string, List<NodeProto>>();
        foreach (var node in graph.Node)
        {
            foreach (var o in node.Output) producers[o] = node;
            foreach (var i in node.Input.Where(i => i.Length > 0))
            {
                if (!consumers.TryGetValue(i, out var list)) consumers[i] = list = [];
                list.Add(node);
            }
        }

        var result = new Dictionary<NodeProto, double>(ReferenceEqualityComparer.Instance);
        foreach (var node in graph.Node)
        {
            if (!profile.Nodes.TryGetValue(node.Name, out var timing)) continue;
            var who = owners[node];
            if (who.Count == 0)
            {
                var neighbour = node.Output.SelectMany(o => consumers.GetValueOrDefault(o) ?? []).FirstOrDefault(n => owners[n].Count > 0)
                    ?? node.Input.Select(i => producers.GetValueOrDefault(i)).FirstOrDefault(n => n is not null && owners[n].Count > 0);
                if (neighbour is null) continue;
                who = owners[neighbour];
            }

            foreach (var op in who) result[op] = result.GetValueOrDefault(op) + timing.Microseconds / who.Count;
        }

        return result;
    }

    private IReadOnlyList<NodeProto> DirectOwners(NodeProto node)
    {
        var name = Base(node.Name);
        if (_byName.TryGetValue(name, out var op)) return [op];
        if (QdqName().Match(name) is { Success: true } m)
        {
            var tensor = m.Groups["tensor"].Value;
            var readers = _index.Consumers(tensor).Select(u => u.Node).Where(_planOps.Contains).Distinct<NodeProto>(ReferenceEqualityComparer.Instance).ToList();
            var writer = _byTensor.GetValueOrDefault(tensor);

            // A quantizer exists for the integer ops that read the tensor; a dequantizer for the float
            // readers of an integer op's output, so it goes with the op that wrote it.
            if (m.Groups["kind"].Value == "Quantize") return readers.Count > 0 ? readers : writer is null ? [] : [writer];
            return writer is not null ? [writer] : readers;
        }

        var tensorName = name.EndsWith("_nchwc", StringComparison.Ordinal) ? name[..^"_nchwc".Length] : name;
        if (_byTensor.TryGetValue(tensorName, out op)) return [op];
        if (_index.Producer(tensorName) is { } producer)
        {
            // A fused activation's output: the op before it.
            var before = producer.Input.Select(i => _byTensor.GetValueOrDefault(i)).FirstOrDefault(n => n is not null);
            if (before is not null) return [before];
        }

        return [];
    }

    /// <summary>The node name without the suffixes ONNX Runtime's layout passes add ("_token_12").</summary>
    private static string Base(string name) => TokenSuffix().Replace(name, string.Empty);

    [GeneratedRegex(@"(_token_\d+)+$")]
    private static partial Regex TokenSuffix();

    [GeneratedRegex(@"^(?<tensor>.+)_(?<kind>Quantize|Dequantize)Linear(_\d+)?$")]
    private static partial Regex QdqName();
}
