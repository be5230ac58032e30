using System.Text.Json;
using Onnx;
using PtqSharp.Data;
using PtqSharp.Hardware;
using PtqSharp.Quantization;

namespace PtqSharp.Onnx;

/// <summary>
/// What a quantized model records about how it was made, in its <c>metadata_props</c>: the image preprocessing
/// its calibration images went through (so evaluation and debugging feed it the same way without being told
/// again) and the settings it was quantized with.
/// </summary>
internal static class ModelMetadata
{
    public const string ImagePreprocessingKey = "ptq.image_preprocessing";
    public const string SettingsKey = "ptq.settings";

    /// <summary>The settings worth knowing when a model is looked at later.</summary>
    private sealed record Settings(string Version, QuantizationPreset Preset, TargetDevice TargetDevice, RangeEstimator ActivationRange, RangeEstimator WeightRange,
        int SubsetSize, int Seed, BiasCorrectionMode BiasCorrection, ModelType ModelType, bool LatencyAware, int LatencyThreads);

    /// <summary>Records <paramref name="options"/> and, for image calibration data, its preprocessing.</summary>
    public static void Record(ModelProto model, Dataset calibrationData, QuantizationOptions options)
    {
        if (calibrationData is ImageFolderDataset images) Set(model, ImagePreprocessingKey, JsonSerializer.Serialize(images.Preprocessing, Compact));
        var settings = new Settings(typeof(ModelMetadata).Assembly.GetName().Version?.ToString(3) ?? "", options.Preset, options.TargetDevice,
            options.ActivationRange, options.WeightRange, options.SubsetSize, options.Seed, options.BiasCorrection, options.ModelType,
            options.LatencyAware.Enabled, options.LatencyAware.Threads);
        Set(model, SettingsKey, JsonSerializer.Serialize(settings, Compact));
    }

    /// <summary>The recorded image preprocessing, or null when the model has none.</summary>
    /// <exception cref="PtqException">The record is not valid JSON of an image preprocessing.</exception>
    public static ImagePreprocessing? ImagePreprocessing(ModelProto model)
    {
        var text = model.MetadataProps.FirstOrDefault(p => p.Key == ImagePreprocessingKey)?.Value;
        if (text is null) return null;
        try
        {
            var preprocessing = JsonSerializer.Deserialize<ImagePreprocessing>(text, Compact) ?? throw new JsonException("null");
            if (preprocessing.Mean.Count == 0 || preprocessing.Scale.Count == 0 || preprocessing.Mean.Concat(preprocessing.Scale).Any(v => !float.IsFinite(v)))
            {
                throw new JsonException("mean and scale need finite values");
            }

            return preprocessing; // checked against the model's input when resolved, as options are
        }
        catch (JsonException e)
        {
            return ThrowHelper.Throw<ImagePreprocessing>($"The model's metadata '{ImagePreprocessingKey}' is not a valid image preprocessing ({e.Message}); give the preprocessing options (--mean, --scale, ...) to override it.");
        }
    }

    private static void Set(ModelProto model, string key, string value)
    {
        foreach (var old in model.MetadataProps.Where(p => p.Key == key).ToList()) model.MetadataProps.Remove(old);
        model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
    }

    private static readonly JsonSerializerOptions Compact = new(ReportJson.Options) { WriteIndented = false };
}
