using Onnx;
using PtqSharp.Data;
using PtqSharp.Hardware;
using PtqSharp.Onnx;
using PtqSharp.Quantization.Pipeline;

namespace PtqSharp.Quantization;

/// <summary>
/// What Default Quantization's pipeline produced: the preprocessed float model, the quantizer placement
/// and the parameters of every requested preset. It writes QDQ models for any of those presets and any
/// set of ops kept in float without seeing the data again.
/// </summary>
internal sealed class CalibratedModel
{
    private readonly ModelProto _original;
    private readonly ModelProto _preprocessed;
    private readonly GraphIndex _index;
    private readonly QuantizationPlan _plan;
    private readonly IReadOnlyDictionary<QuantizationPreset, PresetParameters> _parameters;
    private readonly IReadOnlyDictionary<string, Smoothing> _smoothed;
    private IReadOnlySet<NodeProto> _keptForSpeed = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
    private readonly QuantizedWeightCache _weights = new();

    public CalibratedModel(ModelProto original, PipelineState state, SampleSplit split, int originalOpset)
    {
        _original = original;
        _preprocessed = state.Model;
        _index = state.Index;
        _plan = state.Plan;
        _parameters = new Dictionary<QuantizationPreset, PresetParameters>(state.Parameters);
        _smoothed = new Dictionary<string, Smoothing>(state.Smoothed);
        Rules = state.Rules;
        Options = state.Options;
        Split = split;
        OriginalOpset = originalOpset;
        Ops = _plan.Ops;
        Rewrites = state.Rewrites.ToList();
        if (Rules.DynamicLstm && DynamicLstm.Eligible(_preprocessed) is > 0 and var lstms) Rewrites = [.. Rewrites, new GraphRewriteCount(DynamicLstm.Name, lstms)];
    }

    /// <summary>The graph rewrites the float model went through before quantizers were placed.</summary>
    public IReadOnlyList<GraphRewriteCount> Rewrites { get; }

    public SampleSplit Split { get; }

    public int OriginalOpset { get; }

    public HardwareConfig Rules { get; }

    public QuantizationOptions Options { get; }

    /// <summary>The ops that can be reverted to float, in graph order: the placement's, less those kept in float for speed.</summary>
    public IReadOnlyList<QuantizedOp> Ops { get; private set; }

    /// <summary>Every op the placement quantized, before any is kept in float.</summary>
    public QuantizationPlan FullPlan => _plan;

    /// <summary>The preprocessed float model the plan refers to.</summary>
    public ModelProto FloatModel => _preprocessed;

    public GraphIndex Index => _index;

    /// <summary>What latency-aware quantization measured and kept in float; null when it did not run.</summary>
    public LatencyReport? Latency { get; private set; }

    /// <summary>Every model this one builds keeps <paramref name="ops"/> in float, as latency-aware quantization decided.</summary>
    public void KeepInFloatForSpeed(IReadOnlySet<NodeProto> ops, LatencyReport report)
    {
        _keptForSpeed = ops;
        Ops = _plan.Ops.Where(o => !ops.Contains(o.Node)).ToList();
        Latency = report;
    }

    /// <summary>The plan with <paramref name="floatOps"/> kept in float for speed (reading integer outputs at their borders), as a written model would have it.</summary>
    public QuantizationPlan EffectiveForSpeed(IReadOnlySet<NodeProto> floatOps) => FloatFallback.Revert(_plan, _index, floatOps, readIntegerOutputs: floatOps);

    /// <summary>
    /// Writes the QDQ model, with the map of its quantized tensors in its metadata. Ranges always come
    /// from the full plan, so reverting an op leaves the scales of the others unchanged.
    /// </summary>
    /// <remarks>Thread-safe: accuracy control builds variants in parallel.</remarks>
    public (ModelProto Model, QuantizationPlan Plan) Build(QuantizationPreset preset, IReadOnlyCollection<NodeProto> floatOps)
    {
        var parameters = Parameters(preset);
        var effective = FloatFallback.Revert(_plan, _index, floatOps.Concat(_keptForSpeed).Distinct<NodeProto>(ReferenceEqualityComparer.Instance).ToList(),
            op => _keptForSpeed.Contains(op) ? FloatFallback.SpeedReason : FloatFallback.Reason, _keptForSpeed);
        // When nothing pays off in INT8, the FP32-equivalent model is the one given: the rewritten float graph
        // can be slower (HardSigmoid spelled out as Add, Clip and Mul).
        if (Latency is { Outcome: LatencyOutcome.NothingQuantized }) return (_original.Clone(), effective);
        var (model, tensors) = QdqWriter.Write(_preprocessed, effective, parameters, _weights);
        if (Rules.DynamicLstm) DynamicLstm.Apply(model); // no QDQ form: LSTMs are quantized by the op itself
        QuantizedTensorMap.Attach(model, tensors.Select(t => _smoothed.TryGetValue(t.Float, out var s)
            ? t with { Float = s.Original, Smoothing = (s.InverseScale, s.Axis) }
            : t).ToList());
        return (model, effective);
    }

    /// <summary>Whether bias correction corrected this op's bias for the preset.</summary>
    public bool IsBiasCorrected(QuantizationPreset preset, NodeProto op) => Parameters(preset).Biases.ContainsKey(op);

    /// <summary>Whether GPTQ chose the op's weight codes (see <see cref="Steps.GptqRoundingStep"/>).</summary>
    public bool IsGptqRounded(QuantizationPreset preset, NodeProto op) => Parameters(preset).Weights.TryGetValue(op, out var p) && p.Codes is not null;

    private PresetParameters Parameters(QuantizationPreset preset) =>
        _parameters.TryGetValue(preset, out var p) ? p : throw new InvalidOperationException($"The {preset} preset was not calibrated.");
}
