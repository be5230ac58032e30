using Onnx;
using PtqSharp.Hardware;
using PtqSharp.Onnx;

namespace PtqSharp.Quantization.Pipeline;

/// <summary>What the steps of a pipeline read and build up: the float model, the rules, the quantizer placement and the parameters per preset.</summary>
internal sealed class PipelineState
{
    public PipelineState(ModelProto model, HardwareConfig rules, QuantizationOptions options, IgnoredScopeMatcher ignored, IReadOnlyList<QuantizationPreset> presets)
    {
        Model = model;
        Index = new GraphIndex(model.Graph);
        Rules = rules;
        Options = options;
        Ignored = ignored;
        Presets = presets;
    }

    /// <summary>The preprocessed float model; steps that rewrite it call <see cref="ModelChanged"/>.</summary>
    public ModelProto Model { get; }

    public GraphIndex Index { get; private set; }

    public HardwareConfig Rules { get; }

    public QuantizationOptions Options { get; }

    public IgnoredScopeMatcher Ignored { get; }

    /// <summary>The presets to compute parameters for (accuracy control may try a second one).</summary>
    public IReadOnlyList<QuantizationPreset> Presets { get; }

    /// <summary>Where quantizers go; set by <see cref="Steps.PlacementStep"/>.</summary>
    public QuantizationPlan Plan { get => field ?? throw new InvalidOperationException("Quantizers are not placed yet."); set; }

    /// <summary>Quantization parameters per preset; set by range estimation, biases by bias correction.</summary>
    public Dictionary<QuantizationPreset, PresetParameters> Parameters { get; } = new();

    /// <summary>Tensors SmoothQuant rescaled, by their new name: the report compares them with the originals.</summary>
    public Dictionary<string, Smoothing> Smoothed { get; } = new();

    /// <summary>Tensors whose channels were padded with zero channels, with the share of their values that are real.</summary>
    public IReadOnlyDictionary<string, double> RealChannelShare { get; set; } = new Dictionary<string, double>();

    /// <summary>The graph rewrites that changed the model, with how many places each changed.</summary>
    public List<GraphRewriteCount> Rewrites { get; } = [];

    public void ModelChanged() => Index = new GraphIndex(Model.Graph);
}

/// <summary>
/// A tensor SmoothQuant rescaled: <paramref name="Original"/> times the initializer
/// <paramref name="InverseScale"/> (1/s) along <paramref name="Axis"/> for an activation, divided by it
/// along the weight's input axis for a weight.
/// </summary>
internal sealed record Smoothing(string Original, string InverseScale, int Axis);
