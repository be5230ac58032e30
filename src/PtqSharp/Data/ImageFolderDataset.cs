using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace PtqSharp.Data;

/// <summary>
/// Images in a folder (searched recursively, in ordinal path order), decoded and preprocessed on
/// demand. Labeled variants take the class from the first-level subfolder (classes numbered in
/// ordinal folder-name order) or from a CSV of <c>file,label</c>.
/// </summary>
public sealed class ImageFolderDataset : LabeledDataset
{
    private static readonly HashSet<string> Extensions = new(StringComparer.OrdinalIgnoreCase) { ".jpg", ".jpeg", ".png", ".bmp" };

    private readonly IReadOnlyList<string> _files;
    private readonly IReadOnlyList<int>? _labels;
    private readonly IReadOnlyList<string>? _classNames;
    private readonly ImagePreprocessing _preprocessing;

    private ImageFolderDataset(IReadOnlyList<string> files, IReadOnlyList<int>? labels, IReadOnlyList<string>? classNames, ImagePreprocessing preprocessing)
    {
        _files = files;
        _labels = labels;
        _classNames = classNames;
        _preprocessing = preprocessing;
    }

    /// <summary>How each image becomes a model input; quantized models record it (see <see cref="ImagePreprocessing.FromModel"/>).</summary>
    public ImagePreprocessing Preprocessing => _preprocessing;

    /// <summary>The image files, in ordinal path order.</summary>
    public IReadOnlyList<string> Files => _files;

    /// <summary>Number of images.</summary>
    public override int Count => _files.Count;

    /// <summary>Class subfolder names by label, or null without them.</summary>
    public override IReadOnlyList<string>? ClassNames => _classNames;

    internal static IReadOnlyList<string> ListImages(string folder)
    {
        if (!Directory.Exists(folder))
        {
            ThrowHelper.Throw($"Data folder '{folder}' does not exist.");
        }

        var files = DataFiles.Enumerate(folder, IsImage);
        if (files.Count == 0)
        {
            ThrowHelper.Throw($"Data folder '{folder}' holds no images (.jpg, .jpeg, .png, .bmp).");
        }

        return files;
    }

    /// <summary>Every image under <paramref name="folder"/>, for calibration.</summary>
    public static ImageFolderDataset Unlabeled(string folder, ImagePreprocessing preprocessing) =>
        new(ListImages(folder), null, null, preprocessing);

    /// <summary>One subfolder per class; label k is the k-th subfolder in ordinal name order.</summary>
    public static ImageFolderDataset ByClassFolder(string folder, ImagePreprocessing preprocessing)
    {
        var files = ListImages(folder);
        var root = Path.GetFullPath(folder);
        var classes = Directory.GetDirectories(root).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToList();
        if (classes.Count == 0)
        {
            ThrowHelper.Throw($"Validation folder '{folder}' has no class subfolders; put each class's images in its own subfolder or give a labels CSV.");
        }

        var labels = files.Select(f =>
        {
            var rel = Path.GetRelativePath(root, Path.GetFullPath(f));
            var top = rel.Split(Path.DirectorySeparatorChar)[0];
            int k = classes.IndexOf(top);
            return k >= 0 ? k : ThrowHelper.Throw<int>($"Image '{f}' is not inside a class subfolder of '{folder}'.");
        }).ToList();
        return new ImageFolderDataset(files, labels, classes!, preprocessing);
    }

    /// <summary>Labels from a CSV with rows <c>file,label</c> (file relative to the folder; 0-based integer label; optional header).</summary>
    public static ImageFolderDataset WithLabelsCsv(string folder, string csvPath, ImagePreprocessing preprocessing)
    {
        if (!Directory.Exists(folder)) ThrowHelper.Throw($"Data folder '{folder}' does not exist.");
        var (files, labels) = LabelsCsv.Read(folder, csvPath, "image", IsImage);
        return new ImageFolderDataset(files, labels, null, preprocessing);
    }

    internal static bool IsImage(string file) => Extensions.Contains(Path.GetExtension(file));

    /// <summary>The class of image <paramref name="index"/>; only for labeled folders.</summary>
    public override int Label(int index) =>
        _labels is null ? ThrowHelper.Throw<int>("This image dataset has no labels.") : _labels[index];

    /// <summary>Decodes and preprocesses image <paramref name="index"/>.</summary>
    public override Sample Get(int index)
    {
        var file = _files[index];
        return Sample.Single(ImageTensor.Load(file, _preprocessing), file);
    }
}

/// <summary>Decodes one image file into a normalised [1,C,H,W] or [1,H,W,C] tensor.</summary>
internal static class ImageTensor
{
    /// <summary>The most pixels one image may declare (about 300 MB decoded).</summary>
    private const long MaxPixels = 100_000_000;

    public static SampleTensor Load(string file, ImagePreprocessing p)
    {
        Image<Rgb24> image;
        try
        {
            // One open for the three looks: the JPEG's end, the header's size, the pixels.
            using var stream = File.OpenRead(file);
            ThrowIfTruncatedJpeg(file, stream);

            // The header's size is checked before decoding: a tiny file can declare gigapixels.
            stream.Position = 0;
            var info = Image.Identify(stream) ?? throw new UnknownImageFormatException("unknown image format");
            if ((long)info.Width * info.Height > MaxPixels)
            {
                return ThrowHelper.Throw<SampleTensor>($"Image '{file}' declares {info.Width}x{info.Height} pixels, over the {MaxPixels / 1_000_000} megapixels PtqSharp decodes; resize it first.");
            }

            stream.Position = 0;
            image = Image.Load<Rgb24>(stream);
        }
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or NotSupportedException)
        {
            return ThrowHelper.Throw<SampleTensor>($"Image '{file}' cannot be decoded: {e.Message}");
        }

        using (image)
        {
            return FromImage(image, p);
        }
    }

    /// <summary>
    /// A JPEG cut short still decodes, its missing rows filled in; a whole one ends with the end-of-image
    /// marker (FF D9), perhaps followed by a little padding, so its absence near the end means truncation.
    /// </summary>
    private static void ThrowIfTruncatedJpeg(string file, Stream stream)
    {
        var extension = Path.GetExtension(file);
        if (!extension.Equals(".jpg", StringComparison.OrdinalIgnoreCase) && !extension.Equals(".jpeg", StringComparison.OrdinalIgnoreCase)) return;
        var tail = new byte[(int)Math.Min(stream.Length, 1024)];
        stream.Seek(-tail.Length, SeekOrigin.End);
        stream.ReadExactly(tail);
        for (int i = tail.Length - 2; i >= 0; i--)
        {
            if (tail[i] == 0xFF && tail[i + 1] == 0xD9) return;
        }

        ThrowHelper.Throw($"Image '{file}' is truncated: the JPEG has no end-of-image marker, so part of it would decode as filler. Re-encode it or remove it from the data.");
    }

    /// <summary>Crops, resizes (in place) and normalises a decoded image.</summary>
    public static SampleTensor FromImage(Image<Rgb24> image, ImagePreprocessing p)
    {
        int width = p.Width ?? ThrowHelper.Throw<int>("Image width is not set."), height = p.Height ?? ThrowHelper.Throw<int>("Image height is not set.");
        int channels = p.Channels ?? 3;
        image.Mutate(ctx =>
        {
            if (p.CenterCrop is float ratio && ratio > 0 && ratio < 1)
            {
                int side = (int)Math.Round(Math.Min(image.Width, image.Height) * ratio);
                ctx.Crop(new Rectangle((image.Width - side) / 2, (image.Height - side) / 2, side, side));
            }

            ctx.Resize(new ResizeOptions { Size = new Size(width, height), Mode = ResizeMode.Stretch, Sampler = KnownResamplers.Bicubic });
        });

        var data = new float[channels * height * width];
        bool nchw = p.Layout == TensorLayout.NCHW;
        bool bgr = p.ColorOrder == ColorOrder.BGR;
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < width; x++)
                {
                    var px = row[x];
                    for (int c = 0; c < channels; c++)
                    {
                        float v = channels == 1
                            ? 0.299f * px.R + 0.587f * px.G + 0.114f * px.B
                            : (c, bgr) switch { (0, false) or (2, true) => px.R, (1, _) => px.G, _ => px.B };
                        int at = nchw ? (c * height + y) * width + x : (y * width + x) * channels + c;
                        data[at] = (v - p.MeanOf(c)) / p.ScaleOf(c);
                    }
                }
            }
        });

        long[] shape = nchw ? [1, channels, height, width] : [1, height, width, channels];
        return new SampleTensor(data, shape);
    }
}
