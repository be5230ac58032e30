using PtqSharp.Onnx;

namespace PtqSharp.Data;

/// <summary>
/// How an image file becomes a model input, as in POT's simplified mode: resize (optionally after a
/// center crop), lay out, and normalise each channel as (pixel - mean) / scale with pixels in 0..255.
/// Null sizes and channel counts are taken from the model input.
/// </summary>
public sealed record ImagePreprocessing
{
    /// <summary>Width the image is resized to; null to take it from the model input.</summary>
    public int? Width { get; init; }

    /// <summary>Height the image is resized to; null to take it from the model input.</summary>
    public int? Height { get; init; }

    /// <summary>1 for grayscale, 3 for color; null to take it from the model input.</summary>
    public int? Channels { get; init; }

    /// <summary>Fraction of the shorter side kept by a center crop before resizing (e.g. 0.875); null for none.</summary>
    public float? CenterCrop { get; init; }

    /// <summary>Channel layout of the model input.</summary>
    public TensorLayout Layout { get; init; } = TensorLayout.NCHW;

    /// <summary>Channel order of color inputs.</summary>
    public ColorOrder ColorOrder { get; init; } = ColorOrder.RGB;

    /// <summary>Per-channel mean subtracted from 0..255 pixels; one value applies to all channels.</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0f];

    /// <summary>Per-channel divisor applied after the mean; one value applies to all channels.</summary>
    public IReadOnlyList<float> Scale { get; init; } = [1f];

    internal float MeanOf(int channel) => Mean.Count == 1 ? Mean[0] : Mean[channel];

    internal float ScaleOf(int channel) => Scale.Count == 1 ? Scale[0] : Scale[channel];

    /// <summary>
    /// The preprocessing a PtqSharp-quantized model's calibration images went through, from its metadata; null for
    /// models without it (float models, or calibrated on tensors). Feed the model the same way to evaluate it.
    /// </summary>
    /// <param name="model">A model PtqSharp wrote.</param>
    /// <exception cref="PtqException">The record is damaged.</exception>
    public static ImagePreprocessing? FromModel(OnnxModel model) => ModelMetadata.ImagePreprocessing(model.Proto);

    /// <summary>Fills in what is unset from the model's only input; image folders feed single-input models.</summary>
    /// <param name="onnx">The model the images feed.</param>
    public ImagePreprocessing ResolveFor(OnnxModel onnx)
    {
        var model = onnx.Proto;
        var inputs = new GraphIndex(model.Graph).GraphInputs;
        if (inputs.Count != 1)
        {
            ThrowHelper.Throw($"The model has {inputs.Count} inputs; image folders feed single-input models. Use .npz samples keyed by input name.");
        }

        var input = model.Graph.Input.First(i => inputs.Contains(i.Name));
        var dims = input.Type?.TensorType?.Shape?.Dim.Select(d => d.DimValue > 0 ? d.DimValue : -1L).ToArray() ?? [];
        return ResolveFor(input.Name, dims);
    }

    /// <summary>Fills in what is unset from a model input shape such as [N,3,224,224] or [N,224,224,3].</summary>
    public ImagePreprocessing ResolveFor(string inputName, IReadOnlyList<long> modelShape)
    {
        if (modelShape.Count != 4)
        {
            ThrowHelper.Throw($"Model input '{inputName}' has rank {modelShape.Count}; image data needs a rank-4 input (NCHW or NHWC). Use .npy samples for this model.");
        }

        long c = Layout == TensorLayout.NCHW ? modelShape[1] : modelShape[3];
        long h = Layout == TensorLayout.NCHW ? modelShape[2] : modelShape[1];
        long w = Layout == TensorLayout.NCHW ? modelShape[3] : modelShape[2];
        var resolved = this with
        {
            Channels = Channels ?? (c > 0 ? (int)c : null),
            Height = Height ?? (h > 0 ? (int)h : null),
            Width = Width ?? (w > 0 ? (int)w : null),
        };

        if (resolved.Channels is not (1 or 3))
        {
            ThrowHelper.Throw($"Model input '{inputName}' has {(c > 0 ? c.ToString() : "a dynamic number of")} channels in layout {Layout}; image data gives 1 or 3. Check --layout.");
        }

        if (resolved.Height is null || resolved.Width is null)
        {
            ThrowHelper.Throw($"Model input '{inputName}' has dynamic height or width; give the image size with --image-size.");
        }

        foreach (var (name, list) in new[] { ("mean", Mean), ("scale", Scale) })
        {
            if (list.Count != 1 && list.Count != resolved.Channels)
            {
                ThrowHelper.Throw($"Image {name} has {list.Count} values but the model input has {resolved.Channels} channels; give one value or one per channel.");
            }
        }

        if (Scale.Any(s => s == 0f))
        {
            ThrowHelper.Throw("Image scale values must be non-zero.");
        }

        return resolved;
    }
}
