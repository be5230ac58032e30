using Onnx;
using PtqSharp.Execution;
using PtqSharp.Hardware;
using PtqSharp.Onnx;

namespace PtqSharp.Quantization;

/// <summary>Describes a model and what Default Quantization would quantize in it (<c>ptq inspect</c>).</summary>
public static class ModelInspector
{
    /// <summary>Describes the model and, after preprocessing as quantization would do it, which ops the device's rules would quantize.</summary>
    /// <param name="onnx">The model.</param>
    /// <param name="device">Whose rules decide what would be quantized.</param>
    public static ModelInfo Inspect(OnnxModel onnx, TargetDevice device = TargetDevice.Any)
    {
        var model = onnx.Proto;
        var rules = HardwareConfig.For(device);
        var quantizers = Quantizers(model);
        var quantized = new Dictionary<string, int>();
        int quantizedOps = 0, activationQuantizers = 0;
        if (quantizers.Count == 0)
        {
            // A float model: what Default Quantization would place, after the same preprocessing.
            using var scratch = ScratchFolder.Enter();
            var working = model.Clone();
            OpsetUpgrader.Upgrade(working);
            var preprocessed = SessionFactory.Optimize(working, GraphOptimization.Basic);
            var plan = QuantizerPlacement.Plan(new GraphIndex(preprocessed.Graph), rules, IgnoredScopeMatcher.Create(IgnoredScope.Empty, preprocessed.Graph));
            quantized = plan.Ops.GroupBy(o => o.Node.OpType).ToDictionary(g => g.Key, g => g.Count());
            (quantizedOps, activationQuantizers) = (plan.Ops.Count, plan.Groups.Sum(g => g.Tensors.Count));
        }

        var initializers = model.Graph.Initializer.Select(i => i.Name).ToHashSet();

        return new ModelInfo(
            OpsetUpgrader.DefaultOpset(model), model.IrVersion, model.ProducerName, OnnxModelIO.SizeOf(model), rules.Name,
            model.Graph.Input.Where(i => !initializers.Contains(i.Name)).Select(Describe).ToList(),
            model.Graph.Output.Select(Describe).ToList(),
            model.Graph.Node.GroupBy(n => n.OpType).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new OpTypeInfo(g.Key, g.Count(), quantizers.Count == 0 && rules.Operations.ContainsKey(g.Key) ? quantized.GetValueOrDefault(g.Key) : null)).ToList(),
            quantizedOps,
            activationQuantizers,
            quantizers,
            model.Graph.Node.Where(n => n.Domain == OpsetImports.Microsoft && n.OpType is "MatMulNBits" or "GatherBlockQuantized")
                .Select(n => new CompressedWeightInfo(n.Name, n.OpType, (int)n.GetInt("bits", 4), (int)n.GetInt("block_size", 128),
                    ZeroPoints: n.Input.Count > 3 && n.Input[3].Length > 0)).ToList());
    }

    /// <summary>Every DequantizeLinear of the model with its parameters, named by the float tensor PtqSharp's metadata maps it to.</summary>
    private static List<QuantizerInfo> Quantizers(ModelProto model)
    {
        var index = new GraphIndex(model.Graph);
        var floatNames = (QuantizedTensorMap.Read(model) ?? []).ToDictionary(t => t.Dequantized, t => t.Float);
        var result = new List<QuantizerInfo>();
        foreach (var dq in model.Graph.Node.Where(n => n.OpType == "DequantizeLinear" && n.Input.Count >= 2))
        {
            if (index.Initializer(dq.Input[1]) is not { } scaleTensor) continue;
            var scales = TensorData.ToFloats(scaleTensor);
            var zeroPointTensor = dq.Input.Count > 2 && dq.Input[2].Length > 0 ? index.Initializer(dq.Input[2]) : null;
            var source = index.Initializer(dq.Input[0]);
            int dataType = zeroPointTensor?.DataType ?? source?.DataType ?? TensorData.UInt8;
            var zeroPoints = zeroPointTensor is null ? [0L] : TensorData.IntegersToFloats(zeroPointTensor).Select(z => (long)z).Distinct().ToList();
            string kind = source is null ? "activation" : dataType == (int)TensorProto.Types.DataType.Int32 ? "bias" : "weight";
            int? axis = scales.Length > 1 ? (int)(dq.Attribute.FirstOrDefault(a => a.Name == "axis")?.I ?? 1) : null;
            result.Add(new QuantizerInfo(floatNames.GetValueOrDefault(dq.Output[0], dq.Output[0]), kind, TensorData.TypeName(dataType), axis, scales.Length,
                scales.Length == 0 ? 0 : scales.Min(), scales.Length == 0 ? 0 : scales.Max(), zeroPoints));
        }

        return result;
    }

    private static TensorInfo Describe(ValueInfoProto v)
    {
        var tensor = v.Type?.TensorType;
        var type = tensor is null ? "?" : ((TensorProto.Types.DataType)tensor.ElemType).ToString().ToLowerInvariant();
        var shape = tensor?.Shape is null ? "?" : "[" + string.Join(", ", tensor.Shape.Dim.Select(d => d.DimParam is { Length: > 0 } p ? p : d.DimValue > 0 ? d.DimValue.ToString() : "?")) + "]";
        return new TensorInfo(v.Name, type, shape);
    }
}
