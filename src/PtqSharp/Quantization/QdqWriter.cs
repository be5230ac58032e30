using Onnx;
using PtqSharp.Onnx;

namespace PtqSharp.Quantization;

/// <summary>
/// Writes the plan into the graph as QuantizeLinear/DequantizeLinear pairs on activations and
/// DequantizeLinear on integer weights and int32 biases: the QDQ format ONNX Runtime turns into
/// integer kernels. It returns which float tensor each dequantized one stands for.
/// </summary>
internal sealed class QdqWriter
{
    private readonly GraphProto _graph;
    private readonly GraphIndex _index;
    private readonly UniqueNames _names;
    private readonly Func<NodeProto, int, bool> _readsFloat;
    private readonly Dictionary<string, (string Float, QuantizedTensorKind Kind)> _written = new();
    private readonly Dictionary<string, (string Quantized, string ZeroPoint)> _quantized = new();
    private readonly QuantizedWeightCache? _weights;

    private QdqWriter(GraphProto graph, Func<NodeProto, int, bool> readsFloat, QuantizedWeightCache? weights)
    {
        _weights = weights;
        _graph = graph;
        _readsFloat = readsFloat;
        _index = new GraphIndex(graph);
        _names = new UniqueNames(graph);
    }

    /// <summary>Returns a new model and its quantized tensors; <paramref name="model"/> is not modified.</summary>
    /// <param name="model">The float model the plan was made on.</param>
    /// <param name="plan">Where the quantizers go.</param>
    /// <param name="parameters">Scales and zero points.</param>
    /// <param name="cache">Integer weights already made for these parameters, shared instead of quantized again.</param>
    public static (ModelProto Model, IReadOnlyList<QuantizedTensor> Tensors) Write(ModelProto model, QuantizationPlan plan, PresetParameters parameters, QuantizedWeightCache? cache = null)
    {
        var (activations, weights, correctedBiases) = (parameters.Activations, parameters.Weights, parameters.Biases);
        var result = model.Clone();

        // The plan refers to nodes of the original model; map them to the clone by position.
        var nodeMap = new Dictionary<NodeProto, NodeProto>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < model.Graph.Node.Count; i++) nodeMap[model.Graph.Node[i]] = result.Graph.Node[i];
        var originals = new Dictionary<NodeProto, NodeProto>(ReferenceEqualityComparer.Instance);
        foreach (var (original, clone) in nodeMap) originals[clone] = original;
        var writer = new QdqWriter(result.Graph, (node, input) => originals.TryGetValue(node, out var o) && plan.ReadsFloat(o, input), cache);

        foreach (var op in plan.Ops)
        {
            var node = nodeMap[op.Node];
            if (op.Weight is { } w && weights.TryGetValue(op.Node, out var wp))
            {
                writer.QuantizeWeight(node, w, wp);
                if (op.BiasIndex is int b)
                {
                    var inputParams = activations[op.ActivationInputs[0]];
                    writer.QuantizeBias(node, b, RangeMath.Bias(inputParams.Scale[0], wp.Scale, wp.Axis is null ? null : 0), correctedBiases.GetValueOrDefault(op.Node));
                }
            }

            foreach (var c in op.Constants)
            {
                if (parameters.Constants.TryGetValue((op.Node, c.InputIndex), out var cp)) writer.QuantizeWeight(node, c, cp);
            }
        }

        foreach (var tensor in plan.ActivationTensors)
        {
            writer.QuantizeActivation(tensor, activations[tensor]);
        }

        foreach (var s in plan.Scaled)
        {
            writer.FoldScale(nodeMap[s.Mul], s, activations[s.Output]);
        }

        writer.ImportContribDomainIfUsed(result);
        writer.RemoveDeadQdq();
        ConstantWeights.RemoveUnreadInitializers(result.Graph);
        writer.SortTopologically();
        OpsetImports.KeepUsed(result);
        StampProducer(result, model);
        return (result, writer.Written());
    }

    /// <summary>The written model says it comes from PtqSharp; its metadata keeps what produced the float model.</summary>
    private static void StampProducer(ModelProto result, ModelProto source)
    {
        if (source.ProducerName.Length > 0 && result.MetadataProps.All(p => p.Key != SourceProducerKey))
        {
            result.MetadataProps.Add(new StringStringEntryProto { Key = SourceProducerKey, Value = $"{source.ProducerName} {source.ProducerVersion}".Trim() });
        }

        result.ProducerName = "PtqSharp";
        result.ProducerVersion = typeof(QdqWriter).Assembly.GetName().Version?.ToString(3) ?? "";
    }

    /// <summary>Metadata key of the float model's producer.</summary>
    internal const string SourceProducerKey = "ptq.source_producer";

    /// <summary>The quantized tensors in the order of their DequantizeLinear nodes, with the nodes that read them.</summary>
    private List<QuantizedTensor> Written()
    {
        var index = new GraphIndex(_graph);
        return _graph.Node
            .Where(n => n.OpType == "DequantizeLinear" && _written.ContainsKey(n.Output[0]))
            .Select(n => (Tensor: n.Output[0], Entry: _written[n.Output[0]]))
            .Select(x => new QuantizedTensor(x.Tensor, x.Entry.Float, x.Entry.Kind, index.Consumers(x.Tensor).Select(u => u.Node.Name).Distinct().ToList()))
            .ToList();
    }

    private void QuantizeActivation(string tensor, QuantizationParameters p)
    {
        if (_index.GraphInputs.Contains(tensor) && _index.GraphOutputs.Contains(tensor)) return;
        string scale = Unique(tensor + "_scale"), zeroPoint = Unique(tensor + "_zero_point"), quantized = Unique(tensor + "_quantized");
        _graph.Initializer.Add(TensorData.FromFloats(scale, [], p.Scale));
        _graph.Initializer.Add(ZeroPointTensor(zeroPoint, [], p));

        string source = tensor, dequantized;
        if (_index.GraphOutputs.Contains(tensor))
        {
            // Keep the public output name: the producer writes a renamed float tensor and the DQ output
            // takes the name, so internal consumers read the dequantized tensor as they would otherwise.
            source = Unique(tensor + "_float");
            var producer = _index.Producer(tensor)!;
            producer.Output[producer.Output.IndexOf(tensor)] = source;
            foreach (var use in _index.Consumers(tensor).Where(u => _readsFloat(u.Node, u.InputIndex))) use.Node.Input[use.InputIndex] = source;

            dequantized = tensor;
        }
        else
        {
            dequantized = Unique(tensor + "_dequantized");
            foreach (var use in _index.Consumers(tensor).Where(u => !_readsFloat(u.Node, u.InputIndex))) use.Node.Input[use.InputIndex] = dequantized;
        }

        _graph.Node.Add(new NodeProto { OpType = "QuantizeLinear", Domain = DomainFor(p), Name = Unique(tensor + "_QuantizeLinear"), Input = { source, scale, zeroPoint }, Output = { quantized } });
        _graph.Node.Add(new NodeProto { OpType = "DequantizeLinear", Domain = DomainFor(p), Name = Unique(tensor + "_DequantizeLinear"), Input = { quantized, scale, zeroPoint }, Output = { dequantized } });
        _written[dequantized] = (tensor, QuantizedTensorKind.Activation);
        _quantized[tensor] = (quantized, zeroPoint);
    }

    /// <summary>
    /// Replaces a Mul by a positive constant with a DequantizeLinear of the source's integers at the
    /// scaled scale: its output keeps the Mul's name, so every reader is unchanged.
    /// </summary>
    private void FoldScale(NodeProto mul, ScaledTensor s, QuantizationParameters p)
    {
        var (quantized, zeroPoint) = _quantized[s.Source];
        string scale = Unique(s.Output + "_scale");
        _graph.Initializer.Add(TensorData.FromFloats(scale, [], p.Scale));
        _graph.Node.Remove(mul);
        _graph.Node.Add(new NodeProto { OpType = "DequantizeLinear", Domain = DomainFor(p), Name = Unique(s.Output + "_DequantizeLinear"), Input = { quantized, scale, zeroPoint }, Output = { s.Output } });
        _written[s.Output] = (s.Output, QuantizedTensorKind.Activation);
    }

    private void QuantizeWeight(NodeProto node, WeightInput w, QuantizationParameters p)
    {
        var tensor = _index.Initializer(w.Tensor)!;
        string name = Unique(w.Tensor + "_quantized");
        TensorProto Quantize()
        {
            var values = TensorData.ToFloats(tensor);
            var shape = TensorData.Shape(tensor);
            return p.Type.OnnxType switch
            {
                TensorData.Int8 => TensorData.Create<sbyte>(name, shape, WeightQuantizer.Quantize(values, shape, p, v => (sbyte)v), TensorData.Int8),
                TensorData.UInt8 => TensorData.Create<byte>(name, shape, WeightQuantizer.Quantize(values, shape, p, v => (byte)v), TensorData.UInt8),
                TensorData.Int16 => TensorData.Create<short>(name, shape, WeightQuantizer.Quantize(values, shape, p, v => (short)v), TensorData.Int16),
                _ => throw new InvalidOperationException($"No weight writer for {p.Type}."),
            };
        }

        _graph.Initializer.Add(_weights?.Get(tensor, p, name, Quantize) ?? Quantize());
        node.Input[w.InputIndex] = Dequantize(name, w.Tensor, p);
        _written[node.Input[w.InputIndex]] = (w.Tensor, QuantizedTensorKind.Weight);
    }

    private void QuantizeBias(NodeProto node, int biasIndex, QuantizationParameters p, float[]? corrected)
    {
        var tensor = _index.Initializer(node.Input[biasIndex])!;
        var values = corrected ?? TensorData.ToFloats(tensor);
        var q = WeightQuantizer.Quantize(values, TensorData.Shape(tensor), p, v => v);
        string name = Unique(tensor.Name + "_quantized");
        _graph.Initializer.Add(TensorData.Create<int>(name, TensorData.Shape(tensor), q, TensorData.Int32));
        node.Input[biasIndex] = Dequantize(name, tensor.Name, p);
    }

    private string Dequantize(string quantized, string stem, QuantizationParameters p)
    {
        long[] dims = p.PerChannel ? [p.Scale.Length] : [];
        string scale = Unique(stem + "_scale"), zeroPoint = Unique(stem + "_zero_point"), output = Unique(stem + "_dequantized");
        _graph.Initializer.Add(TensorData.FromFloats(scale, dims, p.Scale));
        _graph.Initializer.Add(ZeroPointTensor(zeroPoint, dims, p));
        var dq = new NodeProto { OpType = "DequantizeLinear", Domain = DomainFor(p), Name = Unique(stem + "_DequantizeLinear"), Input = { quantized, scale, zeroPoint }, Output = { output } };
        if (p.Axis is int axis) dq.SetInt("axis", axis);
        _graph.Node.Add(dq);
        return output;
    }

    private static TensorProto ZeroPointTensor(string name, long[] dims, QuantizationParameters p) => p.Type.OnnxType switch
    {
        TensorData.UInt8 => TensorData.Create<byte>(name, dims, p.ZeroPoint.Select(z => (byte)z).ToArray(), TensorData.UInt8),
        TensorData.Int8 => TensorData.Create<sbyte>(name, dims, p.ZeroPoint.Select(z => (sbyte)z).ToArray(), TensorData.Int8),
        TensorData.Int16 => TensorData.Create<short>(name, dims, p.ZeroPoint.Select(z => (short)z).ToArray(), TensorData.Int16),
        TensorData.UInt16 => TensorData.Create<ushort>(name, dims, p.ZeroPoint.Select(z => (ushort)z).ToArray(), TensorData.UInt16),
        TensorData.Int32 => TensorData.Create<int>(name, dims, p.ZeroPoint, TensorData.Int32),
        _ => throw new InvalidOperationException($"No zero-point writer for {p.Type}."),
    };

    /// <summary>
    /// 16-bit quantizers use ONNX Runtime's com.microsoft QuantizeLinear/DequantizeLinear: the ai.onnx
    /// ones accept int16 only from opset 21, and upgrading a whole model that far rewrites many ops.
    /// </summary>
    private static string DomainFor(QuantizationParameters p) => p.Type.Is16Bit ? OpsetImports.Microsoft : "";

    private void ImportContribDomainIfUsed(ModelProto model)
    {
        if (_graph.Node.Any(n => n.Domain == OpsetImports.Microsoft)) OpsetImports.Require(model, OpsetImports.Microsoft);
    }

    /// <summary>
    /// Drops QuantizeLinear/DequantizeLinear nodes nobody reads (a source's plain DequantizeLinear when
    /// its only reader was a Mul folded into a scaled one): ONNX Runtime would still run them.
    /// </summary>
    private void RemoveDeadQdq()
    {
        bool removed = true;
        while (removed)
        {
            var read = _graph.Node.SelectMany(n => n.Input).Concat(_graph.Output.Select(o => o.Name)).ToHashSet();
            var dead = _graph.Node.Where(n => n.OpType is "QuantizeLinear" or "DequantizeLinear" && n.Output.All(o => !read.Contains(o))).ToList();
            foreach (var node in dead)
            {
                _graph.Node.Remove(node);
                _written.Remove(node.Output[0]);
            }

            removed = dead.Count > 0;
        }
    }


    private void SortTopologically()
    {
        var sorted = new GraphIndex(_graph).TopologicalOrder.ToList();
        _graph.Node.Clear();
        _graph.Node.AddRange(sorted);
    }

    private string Unique(string name) => _names.Next(name);
}
