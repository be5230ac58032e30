using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using PtqSharp.AccuracyControl;
using PtqSharp.Benchmarks;
using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Execution;
using PtqSharp.Onnx;
using PtqSharp.Quantization;

/// <summary>
/// Mobile and hybrid architectures (benchmarks/mobile/run.sh fetches and makes everything): torchvision
/// exports (random weights, BatchNorm statistics from Fashion-MNIST), small LSTM/GRU text models, and
/// PaddleOCR's PP-OCR orientation classifier, PP-OCRv4 detector and recognizer on rendered text. Per model: FP32, PtqSharp
/// INT8 and onnxruntime's quantize_static (the anchor, when benchmarks/mobile/ort_anchor.py made it)
/// side by side: interleaved median latency at 1 and 2 threads, output cosine on held-out samples, the
/// task metric, and PtqSharp's quantization time against the N FP32 inferences it calibrates on.
/// </summary>
internal static class MobileSuite
{
    private const string FashionMnist = "/usr/share/datasets/fashion-mnist";
    private const int Calibration = 300;

    private sealed record Job(string Name, string Model, Dataset Calibration, Dataset HoldOut, string Metric, Func<OnnxModel, double>? Task, QuantizationOptions Options)
    {
        /// <summary>The per-sample metric accuracy-aware quantization controls (the task metric where it is per sample, else cosine with FP32).</summary>
        public AccuracyMetric Control { get; init; } = AccuracyMetric.Cosine;
    }

    public static int Run(string data, string[] args)
    {
        // "seed=N" anywhere picks another calibration subset (QuantizationOptions.Seed) for every model run.
        if (args.FirstOrDefault(a => a.StartsWith("seed=", StringComparison.Ordinal)) is { } seedArg)
        {
            _seed = int.Parse(seedArg["seed=".Length..], System.Globalization.CultureInfo.InvariantCulture);
            args = args.Where(a => a != seedArg).ToArray();
        }

        var mobile = Path.Combine(data, "mobile");
        if (args is ["prepare", ..])
        {
            Prepare(data);
            return 0;
        }

        if (args is ["aa", .. var aaArgs])
        {
            AccuracyAware(data, aaArgs);
            return 0;
        }

        if (args is ["settings", .. var settingsArgs])
        {
            Settings(data, settingsArgs);
            return 0;
        }

        var only = args.ToHashSet();
        Console.WriteLine($"PtqSharp mobile benchmark, {Bench.Machine}; latency: median of interleaved runs (at least 30, and at least 2 s of rounds) after warm-up, one held-out input");
        Console.WriteLine("INT8 is PtqSharp's default quantization, latency-aware for the thread count of its column (made twice); task metric and cosine are the 1-thread model's.");
        Console.WriteLine("| model | task metric | FP32 | INT8 | ORT | cosine INT8 / ORT | 1 thread: FP32 / INT8 / ORT | INT8 / FP32 | ops kept float | 2 threads: FP32 / INT8 | INT8 / FP32 | ops kept float | quantization (x N FP32) |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var job in Jobs(data).Where(j => only.Count == 0 || only.Contains(j.Name)))
        {
            Measure(job, Path.Combine(mobile, "anchor", job.Name + ".ort.onnx"));
        }

        return 0;
    }

    private static int _seed;

    private static IEnumerable<Job> Jobs(string data)
    {
        var mobile = Path.Combine(data, "mobile");
        var defaults = new QuantizationOptions { SubsetSize = Calibration, HoldOutSize = 0, Seed = _seed };

        // The floor: the shipped sample and ResNet18 (its NuGet preprocessing: BGR, mean 110, 0..255).
        var sampleDir = Path.Combine(data, "..", "..", "samples", "fashion-mnist");
        var samplePrep = new ImagePreprocessing { Width = 28, Height = 28, Channels = 1, Mean = [72.9f], Scale = [90f] };
        yield return new Job("sample", Path.Combine(sampleDir, "model.onnx"), ImageFolderDataset.Unlabeled(Path.Combine(sampleDir, "calibration"), samplePrep),
            ImageFolderDataset.Unlabeled(Path.Combine(sampleDir, "validation"), samplePrep), "top-1 agreement", null, defaults);
        var resnet = Bench.Metadata("ResNet18Path");
        yield return new Job("resnet18", resnet, Vision("train", 10_000, Calibration, bgr110: true), Vision("t10k", 0, 100, bgr110: true), "top-1 agreement", null, defaults);

        foreach (var name in new[] { "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0", "mnasnet1_0", "shufflenet_v2_x1_0" })
        {
            var path = Path.Combine(mobile, name + ".onnx");
            if (File.Exists(path)) yield return new Job(name, path, Vision("train", 10_000, Calibration), Vision("t10k", 0, 100), "top-1 agreement", null, defaults);
        }

        foreach (var name in new[] { "lstm_text", "gru_text" })
        {
            var path = Path.Combine(mobile, name + ".onnx");
            if (File.Exists(path)) yield return new Job(name, path, Tokens(Calibration, seed: 1), Tokens(100, seed: 2), "top-1 agreement", null, defaults);
        }

        var assets = Path.Combine(data, "ocr-models", "package", "assets");
        var ocr = Path.Combine(data, "ocr");
        var cls = Path.Combine(assets, "ch_ppocr_mobile_v2.0_cls_infer.onnx");
        if (File.Exists(cls) && Directory.Exists(Path.Combine(ocr, "cls")))
        {
            var labels = File.ReadLines(Path.Combine(ocr, "cls", "labels.csv")).Skip(1).Select(l => l.Split(',')).ToDictionary(p => p[0], p => int.Parse(p[1]));
            var validation = new NumpyFolderDataset(Path.Combine(ocr, "cls", "validation"));
            var files = Directory.GetFiles(Path.Combine(ocr, "cls", "validation"), "*.npy").Order(StringComparer.Ordinal).ToList();
            double Accuracy(OnnxModel m)
            {
                using var session = new ModelSession(m.Proto);
                int correct = 0;
                for (int i = 0; i < files.Count; i++)
                {
                    var p = session.Run(validation.Get(i))[0]!;
                    if ((p[1] > p[0] ? 1 : 0) == labels[Path.GetFileName(files[i])]) correct++;
                }

                return (double)correct / files.Count;
            }

            var truth = files.Select(f => labels[Path.GetFileName(f)]).ToArray();
            yield return new Job("ppocr_cls", cls, new NumpyFolderDataset(Path.Combine(ocr, "cls", "calibration")), validation, "orientation accuracy", Accuracy, defaults)
            {
                Control = AccuracyMetric.Create("orientation accuracy", (i, outputs) => (outputs[0]![1] > outputs[0]![0] ? 1 : 0) == truth[i] ? 1 : 0),
            };
        }

        var det = Path.Combine(assets, "ch_PP-OCRv4_det_infer.onnx");
        if (File.Exists(det) && Directory.Exists(Path.Combine(ocr, "det")))
        {
            var prep = DetPreprocessing;
            var validation = ImageFolderDataset.Unlabeled(Path.Combine(ocr, "det", "validation"), prep);
            var truth = JsonSerializer.Deserialize<Dictionary<string, int[][]>>(File.ReadAllText(Path.Combine(ocr, "det", "boxes.json")))!;
            double F1(OnnxModel m)
            {
                using var session = new ModelSession(m.Proto);
                var (tp, predicted, actual) = (0, 0, 0);
                for (int i = 0; i < validation.Count; i++)
                {
                    var map = session.Run(validation.Get(i))[0]!;
                    var boxes = TextBoxes.FromProbabilityMap(map, 640, 640);
                    var gt = truth[Path.GetFileName(validation.Files[i])];
                    tp += TextBoxes.Matches(boxes, gt);
                    predicted += boxes.Count;
                    actual += gt.Length;
                }

                double precision = predicted == 0 ? 0 : (double)tp / predicted, recall = (double)tp / actual;
                return precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            }

            yield return new Job("ppocr_det", det, ImageFolderDataset.Unlabeled(Path.Combine(ocr, "det", "calibration"), prep), validation, "text box F1 (IoU 0.5)", F1, defaults);
        }

        var rec = Path.Combine(assets, "ch_PP-OCRv4_rec_infer.onnx");
        if (File.Exists(rec) && File.Exists(Path.Combine(ocr, "rec", "labels.tsv")))
        {
            // PaddleOCR's CTC dictionary: blank, the dictionary's characters, then the space (use_space_char).
            var characters = File.ReadAllLines(Path.Combine(assets, "ppocr_keys_v1.txt")).Append(" ").ToArray();
            var labels = File.ReadLines(Path.Combine(ocr, "rec", "labels.tsv")).Skip(1).Select(l => l.Split('\t', 2)).ToDictionary(p => p[0], p => p[1]);
            var validation = new NumpyFolderDataset(Path.Combine(ocr, "rec", "validation"));
            var truth = Directory.GetFiles(Path.Combine(ocr, "rec", "validation"), "*.npy").Order(StringComparer.Ordinal).Select(f => labels[Path.GetFileName(f)]).ToArray();
            double LineAccuracy(OnnxModel m)
            {
                using var session = new ModelSession(m.Proto);
                int correct = 0;
                for (int i = 0; i < truth.Length; i++)
                {
                    if (CtcGreedy.Decode(session.Run(validation.Get(i))[0]!, characters) == truth[i]) correct++;
                }

                return (double)correct / truth.Length;
            }

            yield return new Job("ppocr_rec", rec, new NumpyFolderDataset(Path.Combine(ocr, "rec", "calibration")), validation, "exact line match, 500 rendered lines", LineAccuracy, defaults)
            {
                Control = AccuracyMetric.Create("exact line match", (i, outputs) => CtcGreedy.Decode(outputs[0]!, characters) == truth[i] ? 1 : 0),
            };
        }
    }

    /// <summary>PaddleOCR's DB preprocessing: BGR, ImageNet mean and standard deviation on 0..255 pixels, 640x640 pages.</summary>
    private static readonly ImagePreprocessing DetPreprocessing = new()
    {
        Width = 640, Height = 640, Channels = 3, ColorOrder = ColorOrder.BGR, Mean = [123.675f, 116.28f, 103.53f], Scale = [58.395f, 57.12f, 57.375f],
    };

    private static void Measure(Job job, string anchorPath)
    {
        var fp32 = OnnxModel.Load(job.Model);
        QuantizationResult Quantize(int threads) =>
            Quantizer.Quantize(fp32, job.Calibration, job.Options with { LatencyAware = job.Options.LatencyAware with { Threads = threads, AllowFloatModel = true } });
        // One FP32 inference per calibration sample, timed before and after quantization; the faster of the two is
        // the reference, so a neighbour's load during one of them cannot flatter the ratio.
        var fp32Before = Bench.TimeInferences(fp32, job.Calibration, job.Calibration.Count);
        var sw = Stopwatch.StartNew();
        var one = Quantize(1);
        var quantization = sw.Elapsed;
        var fp32Time = TimeSpan.FromTicks(Math.Min(fp32Before.Ticks, Bench.TimeInferences(fp32, job.Calibration, job.Calibration.Count).Ticks));
        var two = Quantize(2);
        var int8 = one.Model;
        var ort = File.Exists(anchorPath) ? OnnxModel.Load(anchorPath) : null;
        if (ort is not null && !Loads(ort))
        {
            Console.Error.WriteLine($"{job.Name}: onnxruntime's quantizer wrote a model ONNX Runtime cannot load; the ORT columns stay empty");
            ort = null;
        }

        var holdOut = Enumerable.Range(0, job.HoldOut.Count).ToList();
        var cosine = ModelComparison.Agreement(fp32, int8, job.HoldOut, holdOut);
        var ortCosine = ort is null ? null : ModelComparison.Agreement(fp32, ort, job.HoldOut, holdOut);
        string Task(OnnxModel? m, OutputAgreement? a) => m is null ? "-" : job.Task is { } t ? $"{t(m):P2}" : a?.Top1Agreement is double top ? $"{top:P1}" : "-";
        static string Kept(QuantizationResult r) => r.Report.Latency is { } l ? l.Outcome == LatencyOutcome.NothingQuantized ? "all (no INT8 faster)" : $"{l.OpsInFloat} of {r.Report.QuantizableOps}" : "-";

        var models = ort is null ? new[] { fp32, int8 } : [fp32, int8, ort];
        var input = job.HoldOut.Get(0);
        // At least 2 s of timed rounds each, so microsecond models get thousands of runs.
        var t1 = LatencyBenchmark.Compare(models.Select(m => m.Proto).ToList(), new BenchmarkOptions { Threads = 1, Runs = 30, Warmup = 5 }, input, 2000);
        var t2 = LatencyBenchmark.Compare([fp32.Proto, two.Model.Proto], new BenchmarkOptions { Threads = 2, Runs = 30, Warmup = 5 }, input, 2000);
        Console.WriteLine($"| {job.Name} | {job.Metric} | {(job.Task is { } f ? $"{f(fp32):P2}" : "100%")} | {Task(int8, cosine)} | {Task(ort, ortCosine)} | " +
            $"{cosine.MeanCosine:0.0000} / {(ortCosine is null ? "-" : ortCosine.MeanCosine.ToString("0.0000"))} | " +
            $"{t1[0].MedianMs:0.00} / {t1[1].MedianMs:0.00} / {(ort is null ? "-" : t1[2].MedianMs.ToString("0.00"))} ms | {t1[1].MedianMs / t1[0].MedianMs:0.00}x | {Kept(one)} | " +
            $"{t2[0].MedianMs:0.00} / {t2[1].MedianMs:0.00} ms | {t2[1].MedianMs / t2[0].MedianMs:0.00}x | {Kept(two)} | " +
            $"{quantization.TotalSeconds:0.0} s ({quantization / fp32Time:0.00}x, latency {one.Report.Latency?.Time.TotalSeconds:0.0} s) |");
    }

    /// <summary>
    /// `mobile aa [names]`: accuracy-aware quantization of each model (1-thread latency-aware INT8 as the
    /// start) under a bound of one point of its controlled metric and a tighter one, and how many
    /// evaluations of the validation set it took.
    /// </summary>
    private static void AccuracyAware(string data, string[] names)
    {
        var only = names.ToHashSet();
        foreach (var job in Jobs(data).Where(j => only.Count == 0 || only.Contains(j.Name)))
        {
            var fp32 = OnnxModel.Load(job.Model);
            foreach (var bound in new[] { 0.01, 0.002 })
            {
                var result = Quantizer.QuantizeWithAccuracyControl(fp32, job.Calibration, job.HoldOut, job.Control,
                    new AccuracyControlOptions { MaxDrop = bound }, job.Options with { LatencyAware = job.Options.LatencyAware with { Threads = 1 } });
                var r = result.Report;
                Console.WriteLine($"{job.Name}, {r.Metric} on {r.ValidationSamples} samples, max drop {bound}: FP32 {r.Format(r.Baseline)}, fully quantized drop {r.Format(r.DefaultDrop)}, " +
                    $"final drop {r.Format(r.FinalDrop)} ({(r.BoundMet ? "met" : "NOT met")}) with {r.Reverted.Count} ops reverted" +
                    $"{(r.Reverted.Count is > 0 and <= 5 ? $" ({string.Join(", ", r.Reverted.Select(o => $"{o.Name} {o.OpType}"))})" : "")}; " +
                    $"{r.Evaluations:0.0} validation sets evaluated ({r.FullEvaluations} full, {r.RankedVariants} ranking variants), {r.TotalSeconds:0.0} s; " +
                    $"ops in float after each step: {string.Join(" ", r.Iterations.Select(i => i.Kept ? $"{i.RevertedCount}" : $"({i.RevertedCount})"))}");
            }
        }
    }

    /// <summary>
    /// `mobile settings [names] [variants=key,key]`: held-out output cosine, task metric and quantization time of INT8
    /// models made with alternatives to the default settings (latency-aware search off, so every model is fully
    /// quantized): the study behind the defaults. The keys: default, nearest, overflow, maxmax, minmax, mse, fullbc.
    /// </summary>
    private static void Settings(string data, string[] args)
    {
        var only = args.Where(a => !a.Contains('=')).ToHashSet();
        var keys = args.FirstOrDefault(a => a.StartsWith("variants=", StringComparison.Ordinal))?["variants=".Length..].Split(',').ToHashSet();
        var variants = new (string Key, string Name, Func<QuantizationOptions, QuantizationOptions> Change)[]
        {
            ("default", "default", o => o),
            ("nearest", "first layer rounded to nearest", o => o with { FirstLayerGptq = false }),
            ("overflow", "overflow fix none", o => o with { OverflowFix = OverflowFix.None }),
            ("maxmax", "min/max, max of maxima", o => o with { ActivationRange = RangeEstimator.MinMax with { Aggregator = StatisticAggregator.Max } }),
            ("minmax", "min/max, mean of sample extremes (POT)", o => o with { ActivationRange = RangeEstimator.MinMax }),
            ("mse", "mse", o => o with { ActivationRange = o.ActivationRange with { Kind = RangeEstimatorKind.Mse } }),
            ("fullbc", "full bias correction", o => o with { BiasCorrection = BiasCorrectionMode.Full }),
        }.Where(v => keys is null || keys.Contains(v.Key)).ToList();
        Console.WriteLine($"| model | {string.Join(" | ", variants.Select(v => v.Name))} |");
        Console.WriteLine($"| --- |{string.Concat(variants.Select(_ => " --- |"))}");
        foreach (var job in Jobs(data).Where(j => only.Count == 0 || only.Contains(j.Name)))
        {
            var fp32 = OnnxModel.Load(job.Model);
            var holdOut = Enumerable.Range(0, job.HoldOut.Count).ToList();
            var cells = variants.Select(v =>
            {
                var options = v.Change(job.Options) with { LatencyAware = job.Options.LatencyAware with { Enabled = false } };
                var watch = System.Diagnostics.Stopwatch.StartNew();
                var int8 = Quantizer.Quantize(fp32, job.Calibration, options).Model;
                var seconds = watch.Elapsed.TotalSeconds;
                var cosine = ModelComparison.Agreement(fp32, int8, job.HoldOut, holdOut).MeanCosine;
                return job.Task is { } task ? $"{cosine:0.0000} ({task(int8):P2}, {seconds:0.0} s)" : $"{cosine:0.0000} ({seconds:0.0} s)";
            }).ToList();
            Console.WriteLine($"| {job.Name} | {string.Join(" | ", cells)} |");
        }
    }

    private static bool Loads(OnnxModel model)
    {
        try
        {
            using var session = new ModelSession(model.Proto);
            return true;
        }
        catch (PtqSharp.PtqException)
        {
            return false;
        }
    }

    /// <summary>Writes what the onnxruntime anchor needs: calibration samples as .npy and one job file per model.</summary>
    private static void Prepare(string data)
    {
        var anchor = Directory.CreateDirectory(Path.Combine(data, "mobile", "anchor")).FullName;
        foreach (var job in Jobs(data).Where(j => j.Name is not ("sample" or "resnet18")))
        {
            string calibration;
            object? png = null;
            if (job.Calibration is ImageFolderDataset images)
            {
                calibration = Path.GetDirectoryName(images.Files[0])!;
                png = new { mean = DetPreprocessing.Mean, scale = DetPreprocessing.Scale };
            }
            else if (job.Calibration is NumpyFolderDataset)
            {
                calibration = Path.GetFullPath(Path.Combine(data, "ocr", job.Name["ppocr_".Length..], "calibration"));
            }
            else
            {
                calibration = Directory.CreateDirectory(Path.Combine(anchor, job.Name + "-calibration")).FullName;
                for (int i = 0; i < job.Calibration.Count; i++) NpyWriter.Write(Path.Combine(calibration, $"{i:0000}.npy"), job.Calibration.Get(i).Inputs.Values.Single());
            }

            using var session = new ModelSession(OnnxModel.Load(job.Model).Proto);
            File.WriteAllText(Path.Combine(anchor, job.Name + ".json"), JsonSerializer.Serialize(new
            {
                model = Path.GetFullPath(job.Model), calibration, input = session.Inputs[0].Name, count = Calibration, png,
            }));
            Console.WriteLine($"anchor job {job.Name}: {calibration}");
        }
    }

    /// <summary>Fashion-MNIST as the torchvision exports saw it: 8x nearest upscale to 224, grey to RGB, ImageNet normalisation.</summary>
    private static Dataset Vision(string split, int from, int count, bool bgr110 = false)
    {
        var images = ReadImages(split);
        float[] mean = bgr110 ? [110f / 255, 110f / 255, 110f / 255] : [0.485f, 0.456f, 0.406f], std = bgr110 ? [1 / 255f, 1 / 255f, 1 / 255f] : [0.229f, 0.224f, 0.225f];
        return Dataset.FromList(Enumerable.Range(from, count).ToList(), i =>
        {
            var data = new float[3 * 224 * 224];
            for (int c = 0; c < 3; c++)
            {
                for (int y = 0; y < 224; y++)
                {
                    for (int x = 0; x < 224; x++) data[(c * 224 + y) * 224 + x] = (images[i][(y / 8) * 28 + x / 8] / 255f - mean[c]) / std[c];
                }
            }

            return Sample.Single(new SampleTensor(data, [1, 3, 224, 224]), $"{split}[{i}]");
        });
    }

    /// <summary>Token ids with a Zipf-like distribution over the 5,000-word vocabulary of the text models.</summary>
    private static Dataset Tokens(int count, int seed)
    {
        var random = new Random(seed);
        var samples = Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, 32).Select(_ => (long)Math.Min(4999, Math.Floor(Math.Exp(random.NextDouble() * Math.Log(5000))))).ToArray()).ToList();
        return Dataset.FromList(samples, s => Sample.Single(new SampleTensor(s, [1, 32])));
    }

    private static byte[][] ReadImages(string split)
    {
        using var gz = new GZipStream(File.OpenRead(Path.Combine(FashionMnist, $"{split}-images-idx3-ubyte.gz")), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        var bytes = ms.ToArray();
        int count = (bytes[4] << 24) | (bytes[5] << 16) | (bytes[6] << 8) | bytes[7];
        return Enumerable.Range(0, count).Select(i => bytes.AsSpan(16 + i * 784, 784).ToArray()).ToArray();
    }
}
