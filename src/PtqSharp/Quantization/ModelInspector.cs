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
        var working = model.Clone();
        OpsetUpgrader.Upgrade(working);
        var preprocessed = SessionFactory.Optimize(working, GraphOptimization.Basic);
        var plan = QuantizerPlacement.Plan(new GraphIndex(preprocessed.Graph), rules, IgnoredScopeMatcher.Create(IgnoredScope.Empty, preprocessed.Graph));
        var quantized = plan.Ops.GroupBy(o => o.Node.OpType).ToDictionary(g => g.Key, g => g.Count());
        var initializers = model.Graph.Initializer.Select(i => i.Name).ToHashSet();

        return new ModelInfo(
            OpsetUpgrader.DefaultOpset(model), model.IrVersion, model.ProducerName, model.CalculateSize(), rules.Name,
            model.Graph.Input.Where(i => !initializers.Contains(i.Name)).Select(Describe).ToList(),
            model.Graph.Output.Select(Describe).ToList(),
            model.Graph.Node.GroupBy(n => n.OpType).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new OpTypeInfo(g.Key, g.Count(), rules.Operations.ContainsKey(g.Key) ? quantized.GetValueOrDefault(g.Key) : null)).ToList(),
            plan.Ops.Count,
            plan.Groups.Sum(g => g.Tensors.Count));
    }

    private static TensorInfo Describe(ValueInfoProto v)
    {
        var tensor = v.Type?.TensorType;
        var type = tensor is null ? "?" : ((TensorProto.Types.DataType)tensor.ElemType).ToString().ToLowerInvariant();
        var shape = tensor?.Shape is null ? "?" : "[" + string.Join(", ", tensor.Shape.Dim.Select(d => d.DimParam is { Length: > 0 } p ? p : d.DimValue > 0 ? d.DimValue.ToString() : "?")) + "]";
        return new TensorInfo(v.Name, type, shape);
    }
}
