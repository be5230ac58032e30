using System.Numerics.Tensors;
using System.Diagnostics;
using Onnx;
using PtqSharp.Data;
using PtqSharp.Execution;
using PtqSharp.Onnx;
using PtqSharp.Statistics;

namespace PtqSharp.Quantization.WeightCompression;

/// <summary>
/// Weight-only compression (NNCF's <c>compress_weights</c>, onnxruntime's <c>MatMulNBitsQuantizer</c>): MatMul and Gemm
/// weights and embedding tables stored in 4 or 8 bits per group, activations left in float. Calibration data is
/// optional: without it groups are rounded to nearest with a clipping search; with it their errors are weighted by the
/// activations. ONNX Runtime runs the result with its weight-only kernels, com.microsoft MatMulNBits for MatMuls and
/// Gemms and GatherBlockQuantized for embeddings, which read the packed weights directly: the model is smaller and
/// token-by-token decoding reads less memory.
/// </summary>
public static class WeightCompressor
{
    /// <summary>
    /// A weight to compress: the node reading it, the weight's name and tensor, and its shape as compressed ([K, N] for
    /// MatMul and Gemm, [rows, D] for Gather). Its values are read when it is compressed, so one layer's are in memory at a time.
    /// </summary>
    private sealed record Candidate(NodeProto Node, string Weight, TensorProto Tensor, long Rows, long Columns, bool Transposed)
    {
        /// <summary>The float values in the compressed layout (a Gemm's transposed B transposed back), rows scaled by <see cref="InputScale"/>.</summary>
        public float[] ReadValues()
        {
            var values = TensorData.ToFloats(Tensor);
            if (Transposed) values = Transpose(values, Columns, Rows);
            if (InputScale is { } s)
            {
                for (int k = 0; k < s.Length; k++) TensorPrimitives.Multiply(values.AsSpan(checked((int)(k * Columns)), (int)Columns), s[k], values.AsSpan(checked((int)(k * Columns)), (int)Columns));
            }

            return values;
        }

        /// <summary>
        /// With AWQ: the per-input-feature scale s the weight rows are multiplied by; the layer then reads its input
        /// divided by s (a Mul inserted before it), so the product is unchanged and the salient features' weights get
        /// finer steps.
        /// </summary>
        public float[]? InputScale { get; set; }

        /// <summary>With calibration data: the mean square of each input feature (K values), which weights the errors.</summary>
        public float[]? Importance { get; set; }

        /// <summary>With <see cref="WeightCompressionOptions.Gptq"/>: the layer's input Hessian XᵀX, measured when first asked for.</summary>
        public Func<float[]>? Hessian { get; set; }

        /// <summary>A Gemm's bias (its C input), which MatMulNBits adds itself.</summary>
        public string? Bias { get; init; }

        public bool IsEmbedding => Node.OpType == "Gather";

        public long Count => Rows * Columns;
    }

    /// <summary>Compresses the weights of <paramref name="model"/>; the model itself is not modified.</summary>
    /// <param name="model">A float (FP32) model.</param>
    /// <param name="options">Mode, group size, ratio, ignored scope; 8-bit asymmetric groups of 128 when null (NNCF's default).</param>
    /// <param name="progress">Receives each stage's progress.</param>
    /// <param name="cancellationToken">Stops the run between layers.</param>
    /// <exception cref="PtqException">The options are not usable, or the model has no weight to compress.</exception>
    public static WeightCompressionResult Compress(OnnxModel model, WeightCompressionOptions? options = null,
        IProgress<QuantizationProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Compress(model, null, options, progress, cancellationToken);

    /// <summary>
    /// Data-aware compression: the mean square of each MatMul and Gemm input feature is measured on
    /// <see cref="WeightCompressionOptions.SubsetSize"/> calibration samples, and each group's clipping and scale then
    /// minimise the error of the layer's output (Σ E[x_k²] (w_k − ŵ_k)², the diagonal of GPTQ's objective) rather than of
    /// its weights; the ratio ranks layers by that output error. Embeddings are compressed as without data.
    /// </summary>
    /// <param name="model">A float (FP32) model.</param>
    /// <param name="calibrationData">Samples the model accepts, as for Default Quantization.</param>
    /// <param name="options">Mode, group size, ratio, subset size, ignored scope.</param>
    /// <param name="progress">Receives each stage's progress.</param>
    /// <param name="cancellationToken">Stops the run between samples and layers.</param>
    public static WeightCompressionResult Compress(OnnxModel model, Dataset? calibrationData, WeightCompressionOptions? options = null,
        IProgress<QuantizationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new WeightCompressionOptions();
        options.Validate();
        using var scratch = ScratchFolder.Enter();
        var clock = Stopwatch.StartNew();
        var working = model.Proto.Clone();
        var index = new GraphIndex(working.Graph);
        var ignored = IgnoredScopeMatcher.Create(options.IgnoredScope, working.Graph);
        var (candidates, skipped) = Find(index, ignored);
        if (candidates.Count == 0)
        {
            ThrowHelper.Throw($"Nothing to compress: the model has no MatMul or Gemm with a constant 2-D float weight and no Gather of a constant 2-D float table{(skipped.Count > 0 ? $" ({skipped.Count} left out: {skipped[0].Name}: {skipped[0].Reason})" : "")}.");
        }

        if (options.Gptq && calibrationData is null) ThrowHelper.Throw("GPTQ rounds against the layers' input Hessians, measured on calibration data: give data (--data) or leave GPTQ off.");
        if (options.Awq && calibrationData is null) ThrowHelper.Throw("AWQ scales weights by the activations' magnitudes, measured on calibration data: give data (--data) or leave AWQ off.");
        if (calibrationData is not null) MeasureImportance(working, candidates, calibrationData, options, progress, cancellationToken);
        var plan = AssignBits(candidates, LastLayers(index, candidates), options);
        var names = new UniqueNames(working.Graph);
        var awqScaled = options.Awq ? ApplyAwq(working.Graph, candidates.Where(c => !c.IsEmbedding && c.Importance is not null).ToList(), plan, options, names, progress) : [];
        var layers = new List<CompressedLayer>();
        var replaced = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < candidates.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(new QuantizationProgress("Compressing weights", i, candidates.Count));
            var c = candidates[i];
            var (bits, reason) = plan[c];
            layers.Add(c.IsEmbedding ? ReplaceGather(working.Graph, c, bits, options, names, reason) : ReplaceMatMul(working.Graph, c, bits, options, names, reason));
            replaced.Add(c.Weight);
        }

        progress?.Report(new QuantizationProgress("Compressing weights", candidates.Count, candidates.Count));
        ConstantWeights.RemoveUnread(working.Graph, replaced);
        OpsetImports.Require(working, OpsetImports.Microsoft);
        working.ProducerName = "PtqSharp";
        working.ProducerVersion = typeof(WeightCompressor).Assembly.GetName().Version?.ToString(3) ?? "";

        progress?.Report(new QuantizationProgress("Checking the weight-only kernels", 0, 1));
        var runtime = SessionFactory.Optimize(working, GraphOptimization.All, weights: false);
        var report = new WeightCompressionReport
        {
            Mode = options.Mode,
            GroupSize = options.GroupSize,
            Ratio = options.Ratio,
            Gptq = options.Gptq,
            AwqScaled = awqScaled,
            Layers = layers,
            Skipped = skipped,
            SizeBefore = OnnxModelIO.SizeOf(model.Proto),
            SizeAfter = OnnxModelIO.SizeOf(working),
            RuntimeOpCounts = runtime.Graph.Node.GroupBy(n => n.OpType).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
            Time = clock.Elapsed,
        };
        return new WeightCompressionResult(ScratchFolder.Result(working), report);
    }

    /// <summary>MatMuls reading a constant 2-D float weight as their second input; Gathers of a constant 2-D float table along axis 0.</summary>
    private static (List<Candidate>, List<SkippedNode>) Find(GraphIndex index, IgnoredScopeMatcher ignored)
    {
        var candidates = new List<Candidate>();
        var skipped = new List<SkippedNode>();
        foreach (var node in index.TopologicalOrder)
        {
            int weightInput = node.Domain is not ("" or "ai.onnx") ? -1 : node.OpType switch { "MatMul" or "Gemm" => 1, "Gather" => 0, _ => -1 };
            if (weightInput < 0 || node.Input.Count <= weightInput) continue;
            var name = node.Input[weightInput];
            var tensor = ConstantWeights.Value(index, name);
            if (tensor is null) continue; // an activation x activation MatMul, or a Gather of computed data
            if (ignored.IsIgnored(node))
            {
                skipped.Add(new SkippedNode(node.Name, node.OpType, "in the ignored scope"));
                continue;
            }

            string? reason = tensor.DataType != TensorData.Float ? $"its weight '{name}' is {TensorData.TypeName(tensor.DataType)}, not float32"
                : tensor.Dims.Count != 2 ? $"its weight '{name}' has rank {tensor.Dims.Count}, not 2"
                : node.OpType == "Gather" && node.GetInt("axis", 0) != 0 ? "it gathers along an axis other than 0"
                : node.OpType == "Gemm" && GemmUnfit(index, node) is { } gemm ? gemm
                : tensor.Dims[0] < 1 || tensor.Dims[1] < 1 ? $"its weight '{name}' is empty"
                : null;
            if (reason is not null)
            {
                skipped.Add(new SkippedNode(node.Name, node.OpType, reason));
                continue;
            }

            if (TensorData.FirstNonFinite(tensor) is var (at, value))
            {
                ThrowHelper.Throw($"Weight '{name}' of node '{node.Name}' holds {value} at element {at}; a model with NaN or infinite weights cannot be compressed. Fix the model.");
            }

            long rows = tensor.Dims[0], columns = tensor.Dims[1];
            bool transposed = node.OpType == "Gemm" && node.GetInt("transB", 0) == 1;
            if (transposed) (rows, columns) = (columns, rows); // B is [N, K]: the weight MatMulNBits wants is its transpose

            candidates.Add(new Candidate(node, name, tensor, rows, columns, transposed) { Bias = node.OpType == "Gemm" && node.Input.Count > 2 && node.Input[2].Length > 0 ? node.Input[2] : null });
        }

        return (candidates, skipped);
    }

    /// <summary>Why a Gemm cannot become a MatMulNBits (Y = A x B + C only, with C a constant vector of N), or null.</summary>
    private static string? GemmUnfit(GraphIndex index, NodeProto gemm)
    {
        if (gemm.GetInt("transA", 0) != 0) return "its A input is transposed";
        if (gemm.Attribute.FirstOrDefault(a => a.Name == "alpha") is { } alpha && alpha.F != 1) return $"alpha is {alpha.F}, not 1";
        if (gemm.Input.Count < 3 || gemm.Input[2].Length == 0) return null;
        if (gemm.Attribute.FirstOrDefault(a => a.Name == "beta") is { } beta && beta.F != 1) return $"beta is {beta.F}, not 1";
        var c = ConstantWeights.Value(index, gemm.Input[2]);
        return c is { DataType: TensorData.Float, Dims.Count: 1 } ? null : "its bias is not a constant float vector";
    }

    private static float[] Transpose(float[] values, long rows, long columns)
    {
        var result = new float[values.Length];
        for (long r = 0; r < rows; r++)
        {
            for (long c = 0; c < columns; c++) result[c * rows + r] = values[r * columns + c];
        }

        return result;
    }

    /// <summary>
    /// The bits of each weight. 8-bit modes: 8. 4-bit modes: embeddings and the last layers in 8 bits unless
    /// <see cref="WeightCompressionOptions.AllLayers"/> (NNCF's default); then, below ratio 1, the layers whose 4-bit
    /// relative weight error is largest (NNCF's data-free sensitivity, the weight quantization error) go to 8 bits
    /// until 8 bits hold at least 1 - ratio of the weights.
    /// </summary>
    private static Dictionary<Candidate, (int Bits, string Reason)> AssignBits(List<Candidate> candidates, IReadOnlySet<Candidate> last, WeightCompressionOptions options)
    {
        var plan = new Dictionary<Candidate, (int, string)>(ReferenceEqualityComparer.Instance);
        if (!options.FourBit)
        {
            foreach (var c in candidates) plan[c] = (8, "mode");
            return plan;
        }

        var fourBit = new List<Candidate>();
        bool several = candidates.Count(x => !x.IsEmbedding) > 1;
        foreach (var c in candidates)
        {
            if (!options.AllLayers && c.IsEmbedding) plan[c] = (8, "embedding: 8 bits unless all layers");
            else if (!options.AllLayers && several && last.Contains(c)) plan[c] = (8, "last layer: 8 bits unless all layers");
            else fourBit.Add(c);
        }

        // The ratio is over the weights that may be 4-bit, as NNCF counts it: embeddings and the last layer are not in it.
        double total = fourBit.Sum(c => (double)c.Count);
        double eightBit = 0;
        if (options.Ratio < 1)
        {
            var bySensitivity = fourBit.OrderByDescending(c => Error(c, 4, options)).ToList();
            foreach (var c in bySensitivity)
            {
                if (eightBit / total >= 1 - options.Ratio) break;
                plan[c] = (8, $"ratio {options.Ratio}: among the largest 4-bit errors");
                eightBit += c.Count;
            }
        }

        foreach (var c in fourBit.Where(c => !plan.ContainsKey(c))) plan[c] = (4, "mode");
        return plan;
    }

    /// <summary>
    /// The last layers: MatMuls and Gemms from which a model output is reached without passing another compressed
    /// layer (an LLM's head; an encoder's last projection and its pooler). Their error reaches the outputs undamped.
    /// </summary>
    private static IReadOnlySet<Candidate> LastLayers(GraphIndex index, List<Candidate> candidates)
    {
        var byNode = new Dictionary<NodeProto, Candidate>(ReferenceEqualityComparer.Instance);
        foreach (var c in candidates.Where(c => !c.IsEmbedding)) byNode[c.Node] = c;
        var last = new HashSet<Candidate>(ReferenceEqualityComparer.Instance);
        foreach (var (node, candidate) in byNode)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var pending = new Stack<string>(node.Output);
            while (pending.Count > 0)
            {
                var tensor = pending.Pop();
                if (!seen.Add(tensor)) continue;
                if (index.GraphOutputs.Contains(tensor))
                {
                    last.Add(candidate);
                    break;
                }

                foreach (var use in index.Consumers(tensor).Where(u => !byNode.ContainsKey(u.Node)))
                {
                    foreach (var output in use.Node.Output) pending.Push(output);
                }
            }
        }

        return last;
    }

    /// <summary>One pass of the statistics engine over the calibration subset: E[x²] per input feature of every MatMul and Gemm.</summary>
    private static void MeasureImportance(ModelProto model, List<Candidate> candidates, Dataset data, WeightCompressionOptions options,
        IProgress<QuantizationProgress>? progress, CancellationToken cancellationToken)
    {
        if (data.Count == 0) ThrowHelper.Throw("The calibration dataset is empty.");
        var layers = candidates.Where(c => !c.IsEmbedding).ToList();
        var points = layers.Select(c => new StatisticPoint(c.Node.Input[0], new ChannelMeanSquareStatistic(c.Rows))).Distinct().ToList();
        var split = SubsetSelector.Select(data.Count, options.SubsetSize, seed: 0, maxHoldOut: 0);
        var engine = new StatisticsEngine(data, split.Calibration, batchSize: 1, progress, cancellationToken);
        var statistics = engine.Collect(model, points, "Measuring activations");
        if (options.Gptq)
        {
            // Measured on the float model before any layer is replaced; the clone keeps them apart.
            var inputs = layers.Select(c => (c.Node.Input[0], c.Rows)).Distinct().ToList();
            var hessians = new HessianBatches(model.Clone(), inputs, data, split, progress, cancellationToken);
            foreach (var c in layers)
            {
                var input = c.Node.Input[0]; // AWQ may rename the node's input later; the Hessian is the float model's
                c.Hessian = () => hessians.For(input);
            }
        }

        foreach (var c in layers)
        {
            var meanSquare = statistics.Get<float[]>(new StatisticPoint(c.Node.Input[0], new ChannelMeanSquareStatistic(c.Rows)));
            // A feature never active still counts a little, so its weights are not left to any error at all.
            if (meanSquare.Length == c.Rows)
            {
                float floor = Math.Max(meanSquare.Max() * 1e-6f, float.Epsilon);
                c.Importance = meanSquare.Select(v => Math.Max(v, floor)).ToArray();
            }
        }
    }

    /// <summary>The relative error of <paramref name="c"/> at <paramref name="bits"/>, for ranking: of the output with data, else of the weight.</summary>
    private static double Error(Candidate c, int bits, WeightCompressionOptions options)
    {
        if (c.IsEmbedding) return QuantizeRows(c, bits, options, symmetric: true).Error;
        var columns = QuantizeColumns(c, bits, options);
        return columns.OutputError ?? columns.Error; // with data, the output error the activations weight
    }

    /// <summary>A MatMul weight [K, N]: groups run down each column (along K), as MatMulNBits reads them.</summary>
    /// <param name="c">The layer.</param>
    /// <param name="bits">4 or 8.</param>
    /// <param name="options">Mode and group size.</param>
    /// <param name="gptq">Round with GPTQ (the layer's Hessian is measured if it was not); ranking by error does not.</param>
    private static (byte[] Packed, float[] Scales, byte[]? ZeroPoints, double Error, double? OutputError, int Block) QuantizeColumns(Candidate c, int bits, WeightCompressionOptions options, bool gptq = false)
    {
        var values = c.ReadValues();
        int k = checked((int)c.Rows), n = checked((int)c.Columns);
        int block = options.GroupSize, blocks = (k + block - 1) / block, blob = block * bits / 8;
        var packed = new byte[(long)n * blocks * blob];
        var scales = new float[n * blocks];
        int zeroBytesPerColumn = (blocks * bits + 7) / 8;
        var zeroPoints = options.Symmetric ? null : new byte[n * zeroBytesPerColumn];
        var group = new float[block];
        var codes = new int[block];
        var rounded = gptq ? RoundWithGptq(c, values, k, n, bits, block, options) : null;
        double error = 0, signal = 0, outputError = 0, outputSignal = 0;
        for (int col = 0; col < n; col++)
        {
            for (int b = 0; b < blocks; b++)
            {
                int length = Math.Min(block, k - b * block);
                for (int j = 0; j < length; j++) group[j] = values[(long)(b * block + j) * n + col];
                var importance = c.Importance is { } h ? h.AsSpan(b * block, length) : default;
                float scale;
                int zero;
                if (rounded is { } g)
                {
                    (scale, zero) = (g.Scales[col * blocks + b], g.Zeros[col * blocks + b]);
                    for (int j = 0; j < length; j++) codes[j] = g.Codes[(long)(b * block + j) * n + col];
                }
                else
                {
                    (scale, zero) = BlockQuantizer.Quantize(group.AsSpan(0, length), bits, options.Symmetric, codes, importance);
                }

                for (int j = length; j < block; j++) codes[j] = zero; // padding past K dequantizes to 0
                BlockQuantizer.Pack(codes, bits, packed.AsSpan((col * blocks + b) * blob, blob));
                scales[col * blocks + b] = scale;
                if (zeroPoints is not null)
                {
                    // Zero points of a column's groups, packed like the weights (two 4-bit values per byte).
                    int at = col * zeroBytesPerColumn;
                    if (bits == 8) zeroPoints[at + b] = (byte)zero;
                    else zeroPoints[at + b / 2] |= (byte)(b % 2 == 0 ? zero : zero << 4);
                }

                for (int j = 0; j < length; j++)
                {
                    double d = group[j] - (codes[j] - zero) * (double)scale;
                    error += d * d;
                    signal += (double)group[j] * group[j];
                    if (!importance.IsEmpty)
                    {
                        outputError += importance[j] * d * d;
                        outputSignal += importance[j] * (double)group[j] * group[j];
                    }
                }
            }
        }

        double? relativeOutput = c.Importance is null ? null : outputSignal == 0 ? 0 : Math.Sqrt(outputError / outputSignal);
        if (rounded is { } result)
        {
            // GPTQ trades weight error for output error across rows: only the full Hessian shows what it gained.
            relativeOutput = Gptq.RelativeOutputError(result.Hessian, values, result.Rounded, k, n);
        }

        return (packed, scales, zeroPoints, signal == 0 ? 0 : Math.Sqrt(error / signal), relativeOutput, block);
    }

    /// <summary>
    /// GPTQ's codes [K, N], each group's scale and zero point ([N x groups], as MatMulNBits orders them), the
    /// dequantized weights they stand for, and the Hessian they were rounded against; null when the Hessian is not
    /// positive definite even after more dampening (the layer is then rounded to nearest).
    /// </summary>
    private static (byte[] Codes, float[] Scales, int[] Zeros, float[] Rounded, float[] Hessian)? RoundWithGptq(Candidate c, float[] values, int k, int n, int bits, int block, WeightCompressionOptions options)
    {
        if (c.Hessian?.Invoke() is not { } hessian || hessian.Length != (long)k * k) return null;
        if (Gptq.InverseCholeskyUpper(hessian, k, out var dead) is not { } u) return null;
        var codes = new byte[(long)k * n];
        var scratch = new int[block];
        var rounded = (float[])values.Clone(); // Gptq.Round leaves each weight at its dequantized value
        var (scales, zeros) = Gptq.Round(rounded, k, n, u, dead, block, (1 << bits) - 1,
            (group, firstRow, _) => BlockQuantizer.Quantize(group, bits, options.Symmetric, scratch, c.Importance is { } h ? h.AsSpan(firstRow, group.Length) : default),
            codes);
        return (codes, scales, zeros, rounded, hessian);
    }

    /// <summary>An embedding table [rows, D]: groups run along each row (along D), as GatherBlockQuantized reads them; always symmetric.</summary>
    private static (byte[] Packed, float[] Scales, double Error, int Block) QuantizeRows(Candidate c, int bits, WeightCompressionOptions options, bool symmetric)
    {
        var values = c.ReadValues();
        long rows = c.Rows;
        int d = checked((int)c.Columns);
        // The block must divide the row: the largest power of 2 up to the group size that does.
        int block = options.GroupSize;
        while (block > 16 && d % block != 0) block /= 2;
        if (d % block != 0) block = d; // rows too short or odd: one group per row
        int groups = d / block;
        var packed = new byte[rows * d * bits / 8];
        var scales = new float[rows * groups];
        var codes = new int[block];
        double error = 0, signal = 0;
        for (long r = 0; r < rows; r++)
        {
            for (int g = 0; g < groups; g++)
            {
                var group = values.AsSpan((int)(r * d + g * block), block);
                var (scale, zero) = BlockQuantizer.Quantize(group, bits, symmetric, codes);
                BlockQuantizer.Pack(codes, bits, packed.AsSpan((int)((r * d + g * block) * bits / 8), block * bits / 8));
                scales[r * groups + g] = scale;
                for (int j = 0; j < block; j++)
                {
                    double e = group[j] - (codes[j] - zero) * (double)scale;
                    error += e * e;
                    signal += (double)group[j] * group[j];
                }
            }
        }

        return (packed, scales, signal == 0 ? 0 : Math.Sqrt(error / signal), block);
    }

    private static CompressedLayer ReplaceMatMul(GraphProto graph, Candidate c, int bits, WeightCompressionOptions options, UniqueNames names, string reason)
    {
        var (packed, scales, zeroPoints, error, outputError, block) = QuantizeColumns(c, bits, options, options.Gptq);
        int blocks = (int)((c.Rows + block - 1) / block);
        var b = TensorData.Create<byte>(names.Next($"{c.Weight}_Q{bits}G{block}"), [c.Columns, blocks, block * bits / 8], packed, TensorData.UInt8);
        var s = TensorData.FromFloats(names.Next($"{c.Weight}_scales"), [c.Columns * blocks], scales);
        graph.Initializer.Add(ScratchFolder.Offload(b));
        graph.Initializer.Add(s);
        var node = new NodeProto { OpType = "MatMulNBits", Domain = OpsetImports.Microsoft, Name = c.Node.Name.Length > 0 ? c.Node.Name : names.Next("MatMulNBits") };
        node.Input.Add(c.Node.Input[0]);
        node.Input.Add(b.Name);
        node.Input.Add(s.Name);
        if (zeroPoints is not null)
        {
            var z = TensorData.Create<byte>(names.Next($"{c.Weight}_zero_points"), [zeroPoints.Length], zeroPoints, TensorData.UInt8);
            graph.Initializer.Add(z);
            node.Input.Add(z.Name);
        }

        if (c.Bias is { } bias)
        {
            // MatMulNBits' inputs: A, B, scales, zero_points, g_idx, bias; absent optional inputs are empty names.
            while (node.Input.Count < 5) node.Input.Add("");
            node.Input.Add(bias);
        }

        node.Output.Add(c.Node.Output[0]);
        node.SetInt("K", c.Rows);
        node.SetInt("N", c.Columns);
        node.SetInt("bits", bits);
        node.SetInt("block_size", block);
        if (options.AccuracyLevel != 0) node.SetInt("accuracy_level", options.AccuracyLevel);
        Swap(graph, c.Node, node);
        return new CompressedLayer(node.Name, c.Node.OpType, c.Weight, [c.Rows, c.Columns], bits, block, options.Symmetric, error, reason) { OutputError = outputError };
    }

    private static CompressedLayer ReplaceGather(GraphProto graph, Candidate c, int bits, WeightCompressionOptions options, UniqueNames names, string reason)
    {
        var (packed, scales, error, block) = QuantizeRows(c, bits, options, symmetric: true);
        var data = TensorData.Create<byte>(names.Next($"{c.Weight}_Q{bits}G{block}"), [c.Rows, c.Columns * bits / 8], packed, TensorData.UInt8);
        var s = TensorData.FromFloats(names.Next($"{c.Weight}_scales"), [c.Rows, c.Columns / block], scales);
        graph.Initializer.Add(ScratchFolder.Offload(data));
        graph.Initializer.Add(s);
        var node = new NodeProto { OpType = "GatherBlockQuantized", Domain = OpsetImports.Microsoft, Name = c.Node.Name.Length > 0 ? c.Node.Name : names.Next("GatherBlockQuantized") };
        node.Input.Add(data.Name);
        node.Input.Add(c.Node.Input[1]);
        node.Input.Add(s.Name);
        node.Output.Add(c.Node.Output[0]);
        node.SetInt("gather_axis", 0);
        node.SetInt("quantize_axis", 1);
        node.SetInt("block_size", block);
        node.SetInt("bits", bits);
        Swap(graph, c.Node, node);
        return new CompressedLayer(node.Name, "Gather", c.Weight, [c.Rows, c.Columns], bits, block, Symmetric: true, error, reason);
    }

    /// <summary>
    /// AWQ (Lin et al., 2023): for each input tensor read by compressed MatMuls, a scale s_k = m_k^α per input feature
    /// (m the activation's root mean square, α searched over 0.1 .. 1 in steps of 0.1, s normalised to a geometric mean
    /// of 1) multiplies the weight rows, and the input is divided by s. α = 0 (no scaling) is the baseline; the α whose
    /// summed relative output error (each feature's error weighted by the scaled input's mean square) over the tensor's
    /// readers is lowest wins, if it beats the baseline by 1 %.
    /// </summary>
    /// <returns>The input tensors scaled, each with its exponent.</returns>
    private static List<string> ApplyAwq(GraphProto graph, List<Candidate> layers, Dictionary<Candidate, (int Bits, string Reason)> plan,
        WeightCompressionOptions options, UniqueNames names, IProgress<QuantizationProgress>? progress)
    {
        var scaledTensors = new List<string>();
        var groups = layers.GroupBy(c => c.Node.Input[0]).ToList();
        for (int g = 0; g < groups.Count; g++)
        {
            progress?.Report(new QuantizationProgress("Searching AWQ scales", g, groups.Count));
            var readers = groups[g].ToList();
            if (readers.All(c => plan[c].Bits != 4)) continue; // 8 bits gains nothing worth a Mul
            var meanSquare = readers[0].Importance!;
            var importance = readers.Select(c => c.Importance!).ToArray();

            double Cost(float[]? s)
            {
                double total = 0;
                for (int r = 0; r < readers.Count; r++)
                {
                    var c = readers[r];
                    c.InputScale = s;
                    c.Importance = s is null ? importance[r] : importance[r].Select((v, k) => v / (s[k] * s[k])).ToArray();
                    double e = QuantizeColumns(c, plan[c].Bits, options).OutputError ?? 0;
                    total += e * e;
                }

                return total;
            }

            double best = Cost(null), bestAlpha = 0;
            float[]? chosen = null;
            for (int step = 1; step <= 10; step++)
            {
                double alpha = step / 10.0;
                var s = meanSquare.Select(v => (float)Math.Pow(Math.Sqrt(v), alpha)).ToArray();
                float norm = (float)Math.Sqrt(s.Max() * (double)s.Min());
                for (int k = 0; k < s.Length; k++) s[k] /= norm;
                double cost = Cost(s);
                if (cost < best * 0.99) (best, chosen, bestAlpha) = (cost, s, alpha);
            }

            Cost(chosen); // leaves each reader's scale and importance at the choice
            if (chosen is null) continue;
            scaledTensors.Add($"{groups[g].Key} (α {bestAlpha:0.0})");

            // One Mul for the tensor, placed before its first reader, divides the input by s.
            var inverse = TensorData.FromFloats(names.Next(groups[g].Key + "_awq_inverse_scale"), [chosen.Length], chosen.Select(v => 1f / v).ToArray());
            graph.Initializer.Add(inverse);
            string scaled = names.Next(groups[g].Key + "_awq");
            var mul = new NodeProto { OpType = "Mul", Name = names.Next(groups[g].Key + "_AWQ"), Input = { groups[g].Key, inverse.Name }, Output = { scaled } };
            graph.Node.Insert(readers.Min(c => graph.Node.IndexOf(c.Node)), mul);
            foreach (var c in readers)
            {
                c.Node.Input[0] = scaled;
                if (c.Hessian is { } hessian)
                {
                    // GPTQ on top: the scaled input's Hessian is diag(1/s) H diag(1/s).
                    var s = chosen;
                    c.Hessian = () =>
                    {
                        var h = (float[])hessian().Clone();
                        for (int i = 0; i < s.Length; i++) for (int j = 0; j < s.Length; j++) h[(long)i * s.Length + j] /= s[i] * s[j];
                        return h;
                    };
                }
            }
        }

        return scaledTensors;
    }

    private static void Swap(GraphProto graph, NodeProto old, NodeProto replacement)
    {
        int at = graph.Node.IndexOf(old);
        graph.Node[at] = replacement;
    }
}
