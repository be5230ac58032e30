using System.Text.Json;
using PtqSharp.AccuracyControl;
using PtqSharp.Data;
using PtqSharp.Hardware;
using PtqSharp.Quantization;

namespace PtqSharp.Cli.Config;

/// <summary>
/// The one home of every <c>ptq quantize</c> setting: flag, key in POT's config file, type, default,
/// help and checks. The command line, the config reader (<see cref="PotConfig.Load"/>) and
/// <c>--print-config</c> (<see cref="PotConfig.ToJson"/>) all read these rows, and so do the
/// data options of <c>evaluate</c> and <c>debug</c>. Rows without a flag are POT keys read from
/// files only; rows that are not printed are POT aliases or keys PtqSharp accepts without using.
/// </summary>
internal static class QuantizeOptions
{
    private static QuantizeSettings Q(QuantizeSettings s, Func<QuantizationOptions, QuantizationOptions> f) => s with { Quantization = f(s.Quantization) };

    private static QuantizeSettings P(QuantizeSettings s, Func<ImagePreprocessing, ImagePreprocessing> f) => s with { Preprocessing = f(s.Preprocessing) };

    private static QuantizeSettings C(QuantizeSettings s, Func<AccuracyControlOptions, AccuracyControlOptions> f) => s with { Control = f(s.Control) };

    private static QuantizeSettings A(QuantizeSettings s, Func<RangeEstimator, RangeEstimator> f) => Q(s, q => q with { ActivationRange = f(q.ActivationRange) });

    private static QuantizeSettings W(QuantizeSettings s, Func<RangeEstimator, RangeEstimator> f) => Q(s, q => q with { WeightRange = f(q.WeightRange) });

    private static QuantizeSettings I(QuantizeSettings s, Func<IgnoredScope, IgnoredScope> f) => Q(s, q => q with { IgnoredScope = f(q.IgnoredScope) });

    private static QuantizeSettings L(QuantizeSettings s, Func<LatencyAwareOptions, LatencyAwareOptions> f) => Q(s, q => q with { LatencyAware = f(q.LatencyAware) });

    private static SettingType<bool> Unused(string message) => SettingTypes.Accepted(_ => message);

    private static SettingType<bool> UnusedUnless(bool value, string message) =>
        SettingTypes.Accepted(e => e.ValueKind is JsonValueKind.True or JsonValueKind.False && e.GetBoolean() == value ? null : message);

    private const string AccuracyChecker = "is for POT's Accuracy Checker engine";

    /// <summary>Accuracy Checker keys: remembered, so the reader can refuse that engine or warn that simplified mode ignores them.</summary>
    private static Setting<IReadOnlyList<string>> AccuracyCheckerKey(string key) => new()
    {
        Section = ConfigSection.Engine, Key = key, Printed = false, Help = $"POT's Accuracy Checker engine {key} (not supported)",
        Type = new SettingType<IReadOnlyList<string>>
        {
            HelpName = "", FromText = (_, w) => throw new PtqException($"{w} is read from config files only."),
            FromJson = (_, current, _, path) => [.. current, path], ToJson = _ => null,
        },
        Get = s => s.AccuracyCheckerKeys, Set = (s, v) => s with { AccuracyCheckerKeys = v },
    };

    /// <summary>Range estimators by their one-word names (minmax, not min-max).</summary>
    private static readonly SettingType<RangeEstimatorKind> RangeEstimators =
        SettingTypes.Choice(Enum.GetValues<RangeEstimatorKind>().Select(k => (k.ToString().ToLowerInvariant(), k)).ToArray());

    private static readonly (string, TargetDevice)[] Devices =
        [("ANY", TargetDevice.Any), ("CPU", TargetDevice.Cpu), ("GPU", TargetDevice.Gpu), ("NPU", TargetDevice.Npu), ("VPU", TargetDevice.Vpu), ("GNA", TargetDevice.Gna), ("GNA3", TargetDevice.Gna3), ("CPU_SPR", TargetDevice.CpuSpr)];

    public static IReadOnlyList<Setting> All { get; } =
    [
        // model
        new Setting<string?> { Section = ConfigSection.Model, Key = "model_name", Help = "A name for the model in reports.", Type = SettingTypes.Text,
            Get = s => s.ModelName ?? (s.Model is null ? null : Path.GetFileNameWithoutExtension(s.Model)), Set = (s, v) => s with { ModelName = v } },
        new Setting<string?> { Section = ConfigSection.Model, Key = "model", Flag = "--model", Aliases = ["-m"], Help = "FP32 or FP16 ONNX model to quantize (only read).", Type = SettingTypes.Path,
            Get = s => s.Model, Set = (s, v) => s with { Model = v } },
        new Setting<string?> { Section = ConfigSection.Model, Key = "output", Flag = "--output", Aliases = ["-o"], Help = "Where to write the INT8 QDQ model.", Type = SettingTypes.Path,
            Get = s => s.Output, Set = (s, v) => s with { Output = v } },
        new Setting<bool> { Section = ConfigSection.Model, Key = "weights", Printed = false, Help = "POT: an OpenVINO IR's weights file.",
            Type = Unused("is an OpenVINO IR weights file; an ONNX model holds its weights (or names its external data files) itself, so it is ignored."), Get = _ => false, Set = (s, _) => s },

        // engine
        new Setting<bool> { Section = ConfigSection.Engine, Key = "type", Help = "POT's engine: PtqSharp runs the simplified one (data from a folder).",
            Type = new SettingType<bool>
            {
                HelpName = "simplified", FromText = (_, _) => true, ToJson = _ => "simplified",
                FromJson = (e, _, ctx, path) => e.ValueKind == JsonValueKind.String && e.GetString() == "simplified" ? true
                    : ctx.Fail<bool>(path, $"is {e.GetRawText()}; PtqSharp runs POT's \"simplified\" engine (samples from a folder, engine.data_source) and not OpenVINO's Accuracy Checker"),
            },
            Get = s => s.SimplifiedEngine, Set = (s, v) => s with { SimplifiedEngine = v } },
        new Setting<string?> { Section = ConfigSection.Engine, Key = "data_source", Flag = "--data", Aliases = ["-d"], Type = SettingTypes.Path,
            Help = "Folder of calibration samples: images (.jpg/.png/.bmp) or NumPy files (.npy one per sample, .npz keyed by input name).", Get = s => s.Data, Set = (s, v) => s with { Data = v } },
        new Setting<string?> { Section = ConfigSection.Engine, Key = "validation", Flag = "--validation", Type = SettingTypes.Path,
            Help = "Validation data: for top-1/top-5, images in one subfolder per class, or images or NumPy samples with --labels; for agreement metrics, any images or NumPy samples.", Get = s => s.Validation, Set = (s, v) => s with { Validation = v } },
        new Setting<string?> { Section = ConfigSection.Engine, Key = "labels", Flag = "--labels", Type = SettingTypes.Path,
            Help = "CSV of file,label (0-based class) for the --validation images or NumPy samples.", Get = s => s.Labels, Set = (s, v) => s with { Labels = v } },
        new Setting<TensorLayout> { Section = ConfigSection.Engine, Key = "layout", Flag = "--layout", Type = SettingTypes.Choice(("NCHW", TensorLayout.NCHW), ("NHWC", TensorLayout.NHWC)),
            Help = "Input layout for images.", Get = s => s.Preprocessing.Layout, Set = (s, v) => P(s, p => p with { Layout = v }) },
        new Setting<ColorOrder> { Section = ConfigSection.Engine, Key = "color", Flag = "--color", Type = SettingTypes.Choice(("RGB", ColorOrder.RGB), ("BGR", ColorOrder.BGR)),
            Help = "Channel order for color images.", Get = s => s.Preprocessing.ColorOrder, Set = (s, v) => P(s, p => p with { ColorOrder = v }) },
        new Setting<IReadOnlyList<float>> { Section = ConfigSection.Engine, Key = "mean", Flag = "--mean", Type = SettingTypes.Floats,
            Help = "Mean subtracted from 0..255 pixels: one value or one per channel, comma-separated.", Get = s => s.Preprocessing.Mean, Set = (s, v) => P(s, p => p with { Mean = v }) },
        new Setting<IReadOnlyList<float>> { Section = ConfigSection.Engine, Key = "scale", Flag = "--scale", Type = SettingTypes.Floats,
            Help = "Divisor applied after the mean: one value or one per channel, comma-separated.", Get = s => s.Preprocessing.Scale, Set = (s, v) => P(s, p => p with { Scale = v }) },
        new Setting<(int? Width, int? Height)> { Section = ConfigSection.Engine, Key = "image_size", Flag = "--image-size", Type = SettingTypes.ImageSize,
            Help = "Image size as N or WxH; default: the model input's height and width.", Get = s => (s.Preprocessing.Width, s.Preprocessing.Height),
            Set = (s, v) => P(s, p => p with { Width = v.Width, Height = v.Height }) },
        new Setting<float?> { Section = ConfigSection.Engine, Key = "center_crop", Flag = "--center-crop", Type = SettingTypes.OptionalFloat(0f, 1f),
            Help = "Fraction of the shorter side kept by a center crop before resizing, e.g. 0.875.", Get = s => s.Preprocessing.CenterCrop, Set = (s, v) => P(s, p => p with { CenterCrop = v }) },
        AccuracyCheckerKey("config"), AccuracyCheckerKey("stat_requests_number"), AccuracyCheckerKey("eval_requests_number"),
        AccuracyCheckerKey("name"), AccuracyCheckerKey("launchers"), AccuracyCheckerKey("datasets"),

        // compression
        new Setting<TargetDevice> { Section = ConfigSection.Compression, Key = "target_device", Flag = "--target-device", Type = SettingTypes.Choice(Devices),
            Help = "Quantization rules (see ptq devices).", Get = s => s.Quantization.TargetDevice, Set = (s, v) => Q(s, q => q with { TargetDevice = v }) },
        new Setting<ModelType> { Section = ConfigSection.Compression, Key = "model_type", Flag = "--model-type",
            Help = "transformer: quantize only ops with weights (MatMul, Gemm, Conv), keep LayerNorm, Softmax and GELU in float, apply SmoothQuant.",
            Type = new SettingType<ModelType>
            {
                HelpName = "transformer",
                FromText = (text, where) => ParseModelType(text) ?? throw new PtqException($"{where} '{text}' is not one of: transformer (or None for any other model)."),
                FromJson = (e, _, ctx, path) => e.ValueKind == JsonValueKind.String && ParseModelType(e.GetString()!) is { } t ? t
                    : ctx.Fail<ModelType>(path, $"{e.GetRawText()} is not one of: \"transformer\", \"None\" or null"),
                ToJson = v => v == ModelType.Transformer ? "transformer" : null, ToText = _ => null,
            },
            Get = s => s.Quantization.ModelType, Set = (s, v) => Q(s, q => q with { ModelType = v }) },
        new Setting<string?> { Section = ConfigSection.Compression, Key = "hardware_config", Flag = "--hardware-config", Type = SettingTypes.Path,
            Help = "Your own device rules as JSON (the format of ptq devices --show NAME); replaces --target-device's.", Get = s => s.HardwareConfig, Set = (s, v) => s with { HardwareConfig = v } },
        new Setting<bool> { Section = ConfigSection.Compression, Key = "dump_intermediate_model", Printed = false, Help = "POT: save intermediate models.",
            Type = UnusedUnless(false, "true is not honoured: PtqSharp writes no intermediate models; --report shows the error of every quantized tensor instead."), Get = _ => false, Set = (s, _) => s },
        new Setting<bool> { Section = ConfigSection.Compression, Key = "inplace_statistics", Printed = false, Help = "POT: reduce statistics in the graph.",
            Type = UnusedUnless(true, "false is not honoured: PtqSharp always reduces statistics in the graph, which is what true means."), Get = _ => true, Set = (s, _) => s },
        new Setting<bool> { Section = ConfigSection.Compression, Key = "inplase_statistics", Printed = false, Help = "POT's spelling of inplace_statistics in its own spec.",
            Type = UnusedUnless(true, "false is not honoured: PtqSharp always reduces statistics in the graph, which is what true means."), Get = _ => true, Set = (s, _) => s },

        // DefaultQuantization and AccuracyAwareQuantization params
        new Setting<QuantizationPreset> { Section = ConfigSection.Params, Key = "preset", Flag = "--preset", Type = SettingTypes.Enum<QuantizationPreset>(),
            Help = "performance (symmetric), mixed (asymmetric activations) or accuracy (asymmetric weights too), mapped to what the target device allows.",
            Get = s => s.Quantization.Preset, Set = (s, v) => Q(s, q => q with { Preset = v }) },
        new Setting<int> { Section = ConfigSection.Params, Key = "stat_subset_size", Flag = "--subset-size", Type = SettingTypes.Int(1),
            Help = "Number of calibration samples.", Get = s => s.Quantization.SubsetSize, Set = (s, v) => Q(s, q => q with { SubsetSize = v }) },
        new Setting<int> { Section = ConfigSection.Params, Key = "stat_batch_size", Flag = "--batch-size", Type = SettingTypes.Int(1),
            Help = "Samples per calibration inference (needs a dynamic batch dimension above 1).", Get = s => s.Quantization.BatchSize, Set = (s, v) => Q(s, q => q with { BatchSize = v }) },
        new Setting<bool> { Section = ConfigSection.Params, Key = "shuffle_data", Type = SettingTypes.Bool,
            Help = "Draw the calibration subset at random by the seed (default) or take the first samples (false).", Get = s => s.Quantization.ShuffleData, Set = (s, v) => Q(s, q => q with { ShuffleData = v }) },
        new Setting<int> { Section = ConfigSection.Params, Key = "seed", Flag = "--seed", Type = SettingTypes.Int(int.MinValue),
            Help = "Seed of the calibration subset sampling.", Get = s => s.Quantization.Seed, Set = (s, v) => Q(s, q => q with { Seed = v }) },
        new Setting<IReadOnlyList<string>> { Section = ConfigSection.Params, Key = "ignored.scope", Flag = "--ignore-names", Type = SettingTypes.Strings,
            Help = "Node names to keep in float.", Get = s => s.Quantization.IgnoredScope.Names, Set = (s, v) => I(s, i => i with { Names = v }) },
        new Setting<IReadOnlyList<string>> { Section = ConfigSection.Params, Key = "ignored.patterns", Flag = "--ignore-patterns", Type = SettingTypes.Strings,
            Help = "Regular expressions over whole node names to keep in float.", Get = s => s.Quantization.IgnoredScope.Patterns, Set = (s, v) => I(s, i => i with { Patterns = v }) },
        new Setting<IgnoredOperations> { Section = ConfigSection.Params, Key = "ignored.operations", Flag = "--ignore-types", Type = PotSections.Operations,
            Help = "Op types to keep in float (in a config file, with optional attribute values).",
            Get = s => new IgnoredOperations(s.Quantization.IgnoredScope.Types, s.Quantization.IgnoredScope.Operations), Set = (s, v) => I(s, i => i with { Types = v.Types, Operations = v.Operations }) },
        new Setting<OverflowFix> { Section = ConfigSection.Params, Key = "overflow_fix", Flag = "--overflow-fix", Type = SettingTypes.Enum<OverflowFix>(),
            Help = "7-bit weights where AVX2 u8s8 kernels (no VNNI) would saturate (CPU and ANY rules only).", Get = s => s.Quantization.OverflowFix, Set = (s, v) => Q(s, q => q with { OverflowFix = v }) },
        new Setting<bool> { Section = ConfigSection.Params, Key = "first_layer_gptq", Flag = "--first-layer-gptq", Type = SettingTypes.Bool,
            Help = "Round the first layers' weights by GPTQ, against their output error on the calibration data (default true); false rounds to nearest.",
            Get = s => s.Quantization.FirstLayerGptq, Set = (s, v) => Q(s, q => q with { FirstLayerGptq = v }) },
        new Setting<OverflowFix> { Section = ConfigSection.Params, Key = "saturation_fix", Printed = false, Help = "POT's name of overflow_fix.",
            Type = SettingTypes.Choice(("no", OverflowFix.None), ("first_layer", OverflowFix.FirstLayer), ("all", OverflowFix.All)),
            Get = s => s.Quantization.OverflowFix, Set = (s, v) => Q(s, q => q with { OverflowFix = v }) },
        new Setting<BiasCorrectionMode> { Section = ConfigSection.Params, Key = "bias_correction", Flag = "--bias-correction", Type = SettingTypes.Enum<BiasCorrectionMode>(),
            Help = "fast (POT's FastBiasCorrection), full (sequential BiasCorrection on up to 32 samples, the quantized model run piece by piece) or none.",
            Get = s => s.Quantization.BiasCorrection, Set = (s, v) => Q(s, q => q with { BiasCorrection = v }) },
        new Setting<bool> { Section = ConfigSection.Params, Key = "use_fast_bias", Printed = false, Type = SettingTypes.Bool, Help = "POT: true for FastBiasCorrection, false for BiasCorrection.",
            Get = s => s.Quantization.BiasCorrection != BiasCorrectionMode.Full, Set = (s, v) => Q(s, q => q with { BiasCorrection = v ? BiasCorrectionMode.Fast : BiasCorrectionMode.Full }) },
        new Setting<RangeEstimatorKind> { Section = ConfigSection.Params, Key = "range_estimator.activations.type", Flag = "--activation-range", Type = RangeEstimators,
            Help = "Activation range estimator; entropy and mse add a histogram pass.", Get = s => s.Quantization.ActivationRange.Kind, Set = (s, v) => A(s, e => e with { Kind = v }) },
        new Setting<StatisticAggregator> { Section = ConfigSection.Params, Key = "range_estimator.activations.aggregator", Flag = "--aggregator", Type = SettingTypes.Enum<StatisticAggregator>(),
            Help = "How minmax combines per-sample ranges.", Get = s => s.Quantization.ActivationRange.Aggregator, Set = (s, v) => A(s, e => e with { Aggregator = v }) },
        new Setting<double> { Section = ConfigSection.Params, Key = "range_estimator.activations.outlier_prob", Flag = "--outlier-prob", Type = SettingTypes.Number(0, 0.4999),
            Help = "Probability mass the quantile estimator clips at each end (the flag sets weights' too).", Get = s => s.Quantization.ActivationRange.OutlierProb,
            Set = (s, v) => W(A(s, e => e with { OutlierProb = v }), e => e with { OutlierProb = v }) },
        new Setting<double> { Section = ConfigSection.Params, Key = "range_estimator.activations.percentile", Flag = "--percentile", Type = SettingTypes.Number(50.0001, 100),
            Help = "Percentage of values the percentile estimator keeps (the flag sets weights' too).", Get = s => s.Quantization.ActivationRange.Percentile,
            Set = (s, v) => W(A(s, e => e with { Percentile = v }), e => e with { Percentile = v }) },
        new Setting<float?> { Section = ConfigSection.Params, Key = "range_estimator.activations.clip_min", Type = SettingTypes.OptionalFloat(float.MinValue, float.MaxValue),
            Help = "Lowest minimum an activation range may have (POT's min clipping_value).", Get = s => (float?)s.Quantization.ActivationRange.ClipMin, Set = (s, v) => A(s, e => e with { ClipMin = v }) },
        new Setting<float?> { Section = ConfigSection.Params, Key = "range_estimator.activations.clip_max", Type = SettingTypes.OptionalFloat(float.MinValue, float.MaxValue),
            Help = "Highest maximum an activation range may have (POT's max clipping_value).", Get = s => (float?)s.Quantization.ActivationRange.ClipMax, Set = (s, v) => A(s, e => e with { ClipMax = v }) },
        new Setting<RangeEstimatorKind> { Section = ConfigSection.Params, Key = "range_estimator.weights.type", Flag = "--weight-range", Type = RangeEstimators,
            Help = "Weight range estimator, per channel (not entropy).", Get = s => s.Quantization.WeightRange.Kind, Set = (s, v) => W(s, e => e with { Kind = v }) },
        new Setting<double> { Section = ConfigSection.Params, Key = "range_estimator.weights.outlier_prob", Type = SettingTypes.Number(0, 0.4999),
            Help = "The weights' quantile estimator's clipped mass.", Get = s => s.Quantization.WeightRange.OutlierProb, Set = (s, v) => W(s, e => e with { OutlierProb = v }) },
        new Setting<double> { Section = ConfigSection.Params, Key = "range_estimator.weights.percentile", Type = SettingTypes.Number(50.0001, 100),
            Help = "The weights' percentile estimator's kept share.", Get = s => s.Quantization.WeightRange.Percentile, Set = (s, v) => W(s, e => e with { Percentile = v }) },
        new Setting<QuantizerSection> { Section = ConfigSection.Params, Key = "activations", Type = PotSections.Quantizer(weights: false),
            Help = "POT's activations section: bits, mode, granularity, level_low/level_high, range_estimator.",
            Get = s => new QuantizerSection(s.Quantization.ActivationConstraints, s.Quantization.ActivationRange),
            Set = (s, v) => Q(s, q => q with { ActivationConstraints = v.Constraints, ActivationRange = v.Estimator }) },
        new Setting<QuantizerSection> { Section = ConfigSection.Params, Key = "weights", Type = PotSections.Quantizer(weights: true),
            Help = "POT's weights section: bits, mode, granularity, level_low/level_high, range_estimator.",
            Get = s => new QuantizerSection(s.Quantization.WeightConstraints, s.Quantization.WeightRange),
            Set = (s, v) => Q(s, q => q with { WeightConstraints = v.Constraints, WeightRange = v.Estimator }) },
        new Setting<float> { Section = ConfigSection.Params, Key = "smooth_quant_alpha", Flag = "--smooth-quant-alpha",
            Type = new SettingType<float> { HelpName = "X", FromText = (t, w) => (float)SettingTypes.Number(0, 1).FromText(t, w), FromJson = (e, c, ctx, p) => (float)SettingTypes.Number(0, 1).FromJson(e, c, ctx, p), ToJson = v => v, ToText = v => v.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            Help = "SmoothQuant migration strength for --model-type transformer; 0 turns it off.", Get = s => s.Quantization.SmoothQuantAlpha, Set = (s, v) => Q(s, q => q with { SmoothQuantAlpha = v }) },
        new Setting<int> { Section = ConfigSection.Params, Key = "hold_out", Flag = "--hold-out", Type = SettingTypes.Int(0),
            Help = "Samples not used for calibration on which FP32 and INT8 outputs are compared.", Get = s => s.Quantization.HoldOutSize, Set = (s, v) => Q(s, q => q with { HoldOutSize = v }) },
        new Setting<bool> { Section = ConfigSection.Params, Key = "latency_aware", Flag = "--latency-aware", Type = SettingTypes.Bool,
            Help = "Time INT8 against FP32 on this machine and keep in float the ops whose integer kernels are slower, so INT8 is never slower (default true).",
            Get = s => s.Quantization.LatencyAware.Enabled, Set = (s, v) => L(s, l => l with { Enabled = v }) },
        new Setting<int> { Section = ConfigSection.Params, Key = "threads", Flag = "--threads", Type = SettingTypes.Int(0),
            Help = "Intra-op threads the model will run with, for latency-aware quantization's timings (0: all cores).",
            Get = s => s.Quantization.LatencyAware.Threads, Set = (s, v) => L(s, l => l with { Threads = v }) },
        new Setting<int> { Section = ConfigSection.Params, Key = "latency_runs", Type = SettingTypes.Int(3),
            Help = "Timed runs per model in each of latency-aware quantization's interleaved comparisons.",
            Get = s => s.Quantization.LatencyAware.Runs, Set = (s, v) => L(s, l => l with { Runs = v }) },
        new Setting<double> { Section = ConfigSection.Params, Key = "latency_margin", Type = SettingTypes.Number(0, 0.4999),
            Help = "Relative difference within which two latency medians count as equal.",
            Get = s => s.Quantization.LatencyAware.Margin, Set = (s, v) => L(s, l => l with { Margin = v }) },
        new Setting<bool> { Section = ConfigSection.Params, Key = "allow_float_model", Flag = "--allow-float-model", Type = SettingTypes.Bool,
            Help = "When no INT8 model is faster than FP32 here, write the model with every op in float instead of exiting with code 5.",
            Get = s => s.Quantization.LatencyAware.AllowFloatModel, Set = (s, v) => L(s, l => l with { AllowFloatModel = v }) },
        new Setting<bool> { Section = ConfigSection.Params, Key = "inplace_statistics", Printed = false, Help = "POT: reduce statistics in the graph.",
            Type = UnusedUnless(true, "false is not honoured: PtqSharp always reduces statistics in the graph, which is what true means."), Get = _ => true, Set = (s, _) => s },
        new Setting<bool> { Section = ConfigSection.Params, Key = "use_layerwise_tuning", Printed = false, Help = "POT: layer-wise fine-tuning.",
            Type = UnusedUnless(false, "true is not honoured: PtqSharp does no fine-tuning (post-training only); try --bias-correction full or --method accuracy-aware."), Get = _ => false, Set = (s, _) => s },

        // AccuracyAwareQuantization only
        new Setting<string> { Section = ConfigSection.AccuracyParams, Key = "metric", Flag = "--metric",
            Type = SettingTypes.Choice(QuantizeSettings.Metrics.Select(m => (m, m)).ToArray()),
            Help = "top1, top5 (labeled --validation), top1-agreement (per position for sequence outputs) or cosine (agreement with FP32; --validation may be unlabeled).", Get = s => s.Metric, Set = (s, v) => s with { Metric = v } },
        new Setting<double> { Section = ConfigSection.AccuracyParams, Key = "maximal_drop", Flag = "--max-drop", Type = SettingTypes.Number(0, double.MaxValue),
            Help = "Largest accepted metric drop (0.01 = 1 point of accuracy when absolute).", Get = s => s.Control.MaxDrop, Set = (s, v) => C(s, c => c with { MaxDrop = v }) },
        new Setting<DropType> { Section = ConfigSection.AccuracyParams, Key = "drop_type", Flag = "--drop-type", Type = SettingTypes.Enum<DropType>(),
            Help = "absolute (baseline - quantized) or relative (divided by the baseline).", Get = s => s.Control.DropType, Set = (s, v) => C(s, c => c with { DropType = v }) },
        new Setting<int> { Section = ConfigSection.AccuracyParams, Key = "ranking_subset_size", Flag = "--ranking-subset-size", Type = SettingTypes.Int(1),
            Help = "Validation samples, those degraded most, on which ops are ranked.", Get = s => s.Control.RankingSubsetSize, Set = (s, v) => C(s, c => c with { RankingSubsetSize = v }) },
        new Setting<int> { Section = ConfigSection.AccuracyParams, Key = "max_iter_num", Flag = "--max-iter", Type = SettingTypes.Int(0),
            Help = "Most evaluations of a model with one more op in float.", Get = s => s.Control.MaxIterations, Set = (s, v) => C(s, c => c with { MaxIterations = v }) },
        new Setting<bool> { Section = ConfigSection.AccuracyParams, Key = "convert_to_mixed_preset", Flag = "--convert-to-mixed-preset", Type = SettingTypes.Bool,
            Help = "Try the mixed preset before reverting any op.", Get = s => s.Control.ConvertToMixedPreset, Set = (s, v) => C(s, c => c with { ConvertToMixedPreset = v }) },
        new Setting<(string Metric, double? Baseline)> { Section = ConfigSection.AccuracyParams, Key = "metrics", Type = PotSections.Metrics,
            Help = "POT's metrics list: the first entry's name is the metric, its baseline_value the FP32 value drops are measured against.",
            Get = s => (s.Metric, s.Control.BaselineScore), Set = (s, v) => C(s with { Metric = v.Metric }, c => c with { BaselineScore = v.Baseline }) },
        new Setting<bool> { Section = ConfigSection.AccuracyParams, Key = "annotation_free", Printed = false, Help = "POT: measure the drop without labels.",
            Type = new SettingType<bool>
            {
                HelpName = "", FromText = (_, w) => throw new PtqException($"{w} is read from config files only."), ToJson = _ => null,
                FromJson = (e, _, ctx, path) =>
                {
                    bool free = SettingTypes.Bool.FromJson(e, false, ctx, path);
                    if (free) ctx.Warn(path, "true: the metric becomes top1-agreement, the FP32 model's top-1 as the label on every sample (annotation_conf_threshold is not applied).");
                    return free;
                },
            },
            Get = s => s.Metric == "top1-agreement", Set = (s, v) => v ? s with { Metric = "top1-agreement" } : s },
        new Setting<bool> { Section = ConfigSection.AccuracyParams, Key = "annotation_conf_threshold", Printed = false, Help = "POT: confidence threshold of annotation-free runs.",
            Type = SettingTypes.Accepted(_ => null), Get = _ => false, Set = (s, _) => s },
        new Setting<bool> { Section = ConfigSection.AccuracyParams, Key = "base_algorithm", Printed = false, Help = "POT: the algorithm accuracy control starts from.",
            Type = SettingTypes.Accepted(e => e.ValueKind == JsonValueKind.String && e.GetString() == "DefaultQuantization" ? null
                : throw new PtqException($"base_algorithm {e.GetRawText()} is not supported: accuracy control starts from DefaultQuantization.")), Get = _ => false, Set = (s, _) => s },
        new Setting<bool> { Section = ConfigSection.AccuracyParams, Key = "use_prev_if_drop_increase", Printed = false, Help = "POT: step back a revert that raised the drop.",
            Type = UnusedUnless(true, "false is not honoured: PtqSharp always steps back a revert that makes the drop grow, so the model it keeps is the best it found."), Get = _ => true, Set = (s, _) => s },
        new Setting<bool> { Section = ConfigSection.AccuracyParams, Key = "metric_subset_ratio", Printed = false, Help = "POT: share of the validation set compared element-wise.",
            Type = Unused("is not honoured: PtqSharp evaluates the whole validation set and ranks ops on ranking_subset_size samples."), Get = _ => false, Set = (s, _) => s },
        new Setting<bool> { Section = ConfigSection.AccuracyParams, Key = "tune_hyperparams", Printed = false, Help = "POT: search quantization hyperparameters.",
            Type = UnusedUnless(false, "true is not honoured: PtqSharp does not search hyperparameters; compare estimators with the benchmark's estimators mode."), Get = _ => false, Set = (s, _) => s },

        // command line only
        new Setting<bool> { Flag = "--method", Help = "default (Default Quantization) or accuracy-aware (keep the metric drop within --max-drop by reverting ops to float).",
            Type = SettingTypes.Choice(("default", false), ("accuracy-aware", true)), Get = s => s.AccuracyAware, Set = (s, v) => s with { AccuracyAware = v } },
        new Setting<bool> { Flag = "--report", Type = SettingTypes.Bool,
            Help = "Also measure the SQNR of every quantized tensor against FP32 on held-out samples, print the worst and write name.layers.csv.", Get = s => s.LayerReport, Set = (s, v) => s with { LayerReport = v } },
    ];

    /// <summary>The row of a flag, for commands that reuse a few of them.</summary>
    public static Setting ByFlag(string flag) => All.Single(s => s.Flag == flag);

    /// <summary>The flags of the data options <c>evaluate</c> and <c>debug</c> share with <c>quantize</c>.</summary>
    public static readonly string[] DataFlags = ["--data", "--image-size", "--layout", "--color", "--mean", "--scale", "--center-crop"];

    private static ModelType? ParseModelType(string text) => text.Trim().ToLowerInvariant() switch
    {
        "" or "none" or "default" => ModelType.Default,
        "transformer" => ModelType.Transformer,
        _ => null,
    };
}
