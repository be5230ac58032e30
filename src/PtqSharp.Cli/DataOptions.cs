using System.CommandLine;
using System.Globalization;
using PtqSharp.Cli.Config;
using PtqSharp.Data;

namespace PtqSharp.Cli;

/// <summary>Options that say where samples come from and how images become tensors (POT's simplified mode).</summary>
internal sealed class DataOptions
{
    public DataOptions(string dataDescription = "Folder of calibration samples: images (.jpg/.png/.bmp) or NumPy files (.npy one per sample, .npz keyed by input name).") =>
        Data = new Option<string>("--data", "-d") { Description = dataDescription };

    public Option<string> Data { get; }

    public Option<string?> ImageSize { get; } = new("--image-size") { Description = "Image size as N or WxH; default: the model input's height and width." };

    public Option<string> Layout { get; } = new("--layout") { Description = "Input layout for images: NCHW or NHWC.", DefaultValueFactory = _ => "NCHW" };

    public Option<string> Color { get; } = new("--color") { Description = "Channel order for color images: RGB or BGR.", DefaultValueFactory = _ => "RGB" };

    public Option<string> Mean { get; } = new("--mean") { Description = "Mean subtracted from 0..255 pixels: one value or one per channel, comma-separated.", DefaultValueFactory = _ => "0" };

    public Option<string> Scale { get; } = new("--scale") { Description = "Divisor applied after the mean: one value or one per channel, comma-separated.", DefaultValueFactory = _ => "1" };

    public Option<float?> CenterCrop { get; } = new("--center-crop") { Description = "Fraction of the shorter side kept by a center crop before resizing, e.g. 0.875." };

    public IEnumerable<Option> All => [Data, ImageSize, Layout, Color, Mean, Scale, CenterCrop];

    /// <summary>Applies the options given on the command line over <paramref name="s"/>.</summary>
    public QuantizeSettings Apply(ParseResult r, QuantizeSettings s)
    {
        var p = s.Preprocessing;
        if (Given(r, ImageSize))
        {
            var (width, height) = ParseImageSize(r.GetValue(ImageSize)!, "--image-size");
            p = p with { Width = width, Height = height };
        }

        if (Given(r, CenterCrop)) p = p with { CenterCrop = r.GetValue(CenterCrop) };
        if (Given(r, Layout)) p = p with { Layout = ParseEnum<TensorLayout>(r.GetValue(Layout)!, "--layout") };
        if (Given(r, Color)) p = p with { ColorOrder = ParseEnum<ColorOrder>(r.GetValue(Color)!, "--color") };
        if (Given(r, Mean)) p = p with { Mean = ParseFloats(r.GetValue(Mean)!, "--mean") };
        if (Given(r, Scale)) p = p with { Scale = ParseFloats(r.GetValue(Scale)!, "--scale") };
        return s with { Data = Given(r, Data) ? r.GetValue(Data) : s.Data, Preprocessing = p };
    }

    /// <summary>Whether the option was typed on the command line rather than left at its default.</summary>
    public static bool Given(ParseResult r, Option option) => r.GetResult(option) is { Implicit: false };

    /// <summary>Builds the dataset for a folder; image preprocessing is resolved against the model's input only when the folder holds images.</summary>
    public static Dataset Open(string folder, Func<ImagePreprocessing> resolvedPreprocessing)
    {
        if (!Directory.Exists(folder)) throw new PtqException($"Data folder '{folder}' does not exist.");
        if (NumpyFolderDataset.Holds(folder)) return new NumpyFolderDataset(folder);
        return ImageFolderDataset.Unlabeled(folder, resolvedPreprocessing());
    }

    /// <summary>Labeled images: a file,label CSV when given, else one subfolder per class.</summary>
    public static LabeledDataset OpenLabeled(string folder, string? labelsCsv, ImagePreprocessing preprocessing) =>
        labelsCsv is not null ? ImageFolderDataset.WithLabelsCsv(folder, labelsCsv, preprocessing) : ImageFolderDataset.ByClassFolder(folder, preprocessing);

    internal static T ParseEnum<T>(string value, string option) where T : struct, Enum =>
        Enum.TryParse<T>(value.Replace("-", string.Empty).Replace("_", string.Empty), ignoreCase: true, out var result) && Enum.IsDefined(result)
            ? result
            : throw new PtqException($"{option} '{value}' is not one of: {string.Join(", ", Enum.GetNames<T>().Select(Kebab))}.");

    internal static string Kebab(string name) =>
        string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) && !char.IsUpper(name[i - 1]) ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>N or WxH.</summary>
    internal static (int? Width, int? Height) ParseImageSize(string size, string option)
    {
        var parts = size.Split('x', 'X');
        if (parts.Length is < 1 or > 2 || !parts.All(p => int.TryParse(p, out var v) && v > 0))
        {
            throw new PtqException($"{option} '{size}' is not N or WxH with positive integers.");
        }

        return (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[^1], CultureInfo.InvariantCulture));
    }

    internal static float[] ParseFloats(string text, string option)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], CultureInfo.InvariantCulture, out values[i]))
            {
                throw new PtqException($"{option} '{text}': '{parts[i]}' is not a number.");
            }
        }

        return parts.Length > 0 ? values : throw new PtqException($"{option} needs at least one value.");
    }
}
