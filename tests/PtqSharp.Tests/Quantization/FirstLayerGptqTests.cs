using Onnx;
using PtqSharp.Data;
using PtqSharp.Hardware.Metatypes;
using PtqSharp.Onnx;
using PtqSharp.Quantization;
using PtqSharp.Quantization.Steps;
using PtqSharp.Statistics;

namespace PtqSharp.Tests.Quantization;

/// <summary>First-layer weights (the overflow fix's 7-bit ones, or 8-bit) rounded by GPTQ against the Conv's input patches.</summary>
public class FirstLayerGptqTests
{
    /// <summary>Smooth images: each pixel a blur of noise, so neighbouring pixels move together as in photographs.</summary>
    private static float[] SmoothImage(Random random, int channels, int height, int width)
    {
        var noise = Enumerable.Range(0, channels * (height + 2) * (width + 2)).Select(_ => (float)random.NextDouble()).ToArray();
        var image = new float[channels * height * width];
        for (int c = 0; c < channels; c++)
        {
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    float sum = 0;
                    for (int dy = 0; dy < 3; dy++)
                    {
                        for (int dx = 0; dx < 3; dx++) sum += noise[(c * (height + 2) + y + dy) * (width + 2) + x + dx];
                    }

                    image[(c * height + y) * width + x] = sum / 9 * 2 - 1;
                }
            }
        }

        return image;
    }

    /// <summary>Σ over samples and output positions of patch patchᵀ, by im2col on the host, averaged over samples.</summary>
    private static double[] HostPatchCovariance(IReadOnlyList<float[]> samples, ConvGeometry g, int height, int width)
    {
        int k = g.PatchSize;
        var result = new double[k * k];
        int outH = (height + g.PadTop + g.PadBottom - g.DilationH * (g.KernelH - 1) - 1) / g.StrideH + 1;
        int outW = (width + g.PadLeft + g.PadRight - g.DilationW * (g.KernelW - 1) - 1) / g.StrideW + 1;
        var patch = new double[k];
        foreach (var s in samples)
        {
            for (int oy = 0; oy < outH; oy += g.Subsample)
            {
                for (int ox = 0; ox < outW; ox += g.Subsample)
                {
                    int e = 0;
                    for (int c = 0; c < g.InChannels; c++)
                    {
                        for (int i = 0; i < g.KernelH; i++)
                        {
                            for (int j = 0; j < g.KernelW; j++, e++)
                            {
                                int y = oy * g.StrideH - g.PadTop + i * g.DilationH, x = ox * g.StrideW - g.PadLeft + j * g.DilationW;
                                patch[e] = y >= 0 && y < height && x >= 0 && x < width ? s[(c * height + y) * width + x] : 0;
                            }
                        }
                    }

                    for (int a = 0; a < k; a++)
                    {
                        for (int b = 0; b < k; b++) result[a * k + b] += patch[a] * patch[b] / samples.Count;
                    }
                }
            }
        }

        return result;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Patch_covariance_from_the_graph_equals_im2col_on_the_host(int subsample)
    {
        const int channels = 2, height = 9, width = 8;
        var b = new GraphBuilder().Input("x", 1, channels, height, width).Output("y", 1, channels, height, width);
        b.Node("Relu", "relu", ["x"], ["y"]);
        var random = new Random(3);
        var samples = Enumerable.Range(0, 3).Select(_ => SmoothImage(random, channels, height, width)).ToList();
        var data = Dataset.FromTensors(samples.Select(s => new SampleTensor(s, [1, channels, height, width])).ToList());

        // Unequal strides and pads, and a dilation, so a transposed axis or a misplaced pad would show.
        var geometry = new ConvGeometry(channels, 3, 2, 2, 1, 1, 0, 2, 1, 1, 2, subsample);
        var point = new StatisticPoint("x", new ConvPatchCovarianceStatistic(geometry));
        var engine = new StatisticsEngine(data, [0, 1, 2], batchSize: 1, progress: null, default);
        var measured = engine.Collect(b.Build(), [point], "test").Get<float[]>(point);

        var expected = HostPatchCovariance(samples, geometry, height, width);
        Assert.Equal(expected.Length, measured.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], measured[i], 3);
    }

    [Fact]
    public void Geometry_is_only_for_plain_2d_convs_and_reads_fewer_positions_of_large_patches()
    {
        static NodeProto Conv(Action<NodeProto>? set = null)
        {
            var node = new NodeProto { OpType = "Conv", Name = "c" };
            set?.Invoke(node);
            return node;
        }

        Assert.Equal(1, ConvGeometry.Of(Conv(), [8, 3, 3, 3])!.Value.Subsample);
        var stem = ConvGeometry.Of(Conv(n => { n.SetInts("strides", [2, 2]); n.SetInts("pads", [3, 3, 3, 3]); }), [64, 3, 7, 7])!.Value;
        Assert.Equal((147, 4, 2, 3), (stem.PatchSize, stem.Subsample, stem.StrideH, stem.PadBottom)); // a 7x7 RGB stem: every 4th row and column
        Assert.Null(ConvGeometry.Of(Conv(n => n.SetInt("group", 2)), [8, 2, 3, 3]));
        Assert.Null(ConvGeometry.Of(Conv(n => n.Attribute.Add(new AttributeProto { Name = "auto_pad", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8("SAME_UPPER") })), [8, 3, 3, 3]));
        Assert.Null(ConvGeometry.Of(Conv(), [8, 3, 3])); // 1-D
        Assert.Null(ConvGeometry.Of(Conv(), [8, 512, 3, 3])); // 4608 values per patch
    }

    [Fact]
    public void The_operator_table_says_which_ops_have_patch_hessians_and_refuses_a_bad_value_by_key_path()
    {
        Assert.True(OperatorMetatypes.For(new NodeProto { OpType = "Conv" }).PatchHessian);
        Assert.False(OperatorMetatypes.For(new NodeProto { OpType = "ConvTranspose" }).PatchHessian); // a strided output sees only some taps
        Assert.False(OperatorMetatypes.For(new NodeProto { OpType = "MatMul" }).PatchHessian);
        var e = Assert.Throws<PtqException>(() => OperatorMetatypes.Parse(new MemoryStream(System.Text.Encoding.UTF8.GetBytes("{ \"Conv\": { \"patch_hessian\": \"yes\" } }")), "test.json"));
        Assert.Contains("'Conv.patch_hessian'", e.Message);
    }

    /// <summary>Correlated inputs X [positions, K], weights [N, K], and the layer's 7-bit symmetric per-channel parameters.</summary>
    private static (float[] X, int Positions, float[] W, int K, int N, QuantizationParameters P) Layer(int seed)
    {
        const int k = 12, n = 6, positions = 400;
        var random = new Random(seed);
        var x = new float[positions * k];
        for (int r = 0; r < positions; r++)
        {
            float common = (float)random.NextDouble() * 2 - 1; // a shared component: neighbouring inputs move together
            for (int e = 0; e < k; e++) x[r * k + e] = common + 0.2f * ((float)random.NextDouble() - 0.5f);
        }

        var w = Enumerable.Range(0, n * k).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var absMax = Enumerable.Range(0, n).Select(c => w.Skip(c * k).Take(k).Max(MathF.Abs)).ToArray();
        return (x, positions, w, k, n, RangeMath.SymmetricWeights(absMax, 64, narrowRange: true, axis: 0));
    }

    /// <summary>‖X (W − Ŵ)ᵀ‖² with Ŵ the codes dequantized.</summary>
    private static double OutputError(float[] x, int positions, float[] w, int k, int n, QuantizationParameters p, int[] codes)
    {
        double total = 0;
        for (int r = 0; r < positions; r++)
        {
            for (int c = 0; c < n; c++)
            {
                double d = 0;
                for (int e = 0; e < k; e++) d += x[r * k + e] * (w[c * k + e] - p.Dequantize(codes[c * k + e], c));
                total += d * d;
            }
        }

        return total;
    }

    [Fact]
    public void Gptq_codes_leave_less_output_error_than_rounding_to_nearest_and_stay_on_the_grid()
    {
        var (x, positions, w, k, n, p) = Layer(5);
        var gptq = GptqRoundingStep.Round(w, [n, 1, 1, k], p, GptqTests.Hessian(x, positions, k));
        var nearest = WeightQuantizer.Quantize(w, [n, 1, 1, k], p, v => v);

        Assert.NotNull(gptq);
        Assert.All(gptq, c => Assert.InRange(c, -64, 64));
        Assert.NotEqual(nearest, gptq);
        double gptqError = OutputError(x, positions, w, k, n, p, gptq), nearestError = OutputError(x, positions, w, k, n, p, nearest);
        Assert.True(gptqError < 0.5 * nearestError, $"GPTQ {gptqError:0.###} against nearest {nearestError:0.###}");

        // Codes set on the parameters are what every writer of the weight reads.
        Assert.Equal(gptq, WeightQuantizer.Quantize(w, [n, 1, 1, k], p with { Codes = gptq }, v => v));

        // 16-bit weights (GNA) keep rounding to nearest: GPTQ's codes are bytes, and 16-bit rounding error is negligible.
        var absMax = Enumerable.Range(0, n).Select(c => w.Skip(c * k).Take(k).Max(MathF.Abs)).ToArray();
        Assert.Null(GptqRoundingStep.Round(w, [n, 1, 1, k], RangeMath.SymmetricWeights(absMax, 32767, narrowRange: true, axis: 0, bits: 16), GptqTests.Hessian(x, positions, k)));
    }

    [Fact]
    public void An_input_the_calibration_never_saw_active_keeps_rounding_to_nearest()
    {
        var (x, positions, w, k, n, p) = Layer(6);
        for (int r = 0; r < positions; r++) x[r * k + 4] = 0; // element 4 of every patch is zero: GPTQ would zero its weights
        Assert.Null(GptqRoundingStep.Round(w, [n, 1, 1, k], p, GptqTests.Hessian(x, positions, k)));
    }

    /// <summary>conv1 (3x3 on an RGB image, the first layer) -> Relu -> conv2 -> Relu.</summary>
    private static (ModelProto Model, Dataset Data) ImageModel()
    {
        var b = new GraphBuilder().Input("x", 1, 3, 12, 12).Output("y", 1, 8, 12, 12);
        var c1 = b.Conv("conv1", "x", 3, 8);
        var r1 = b.Relu("relu1", c1);
        var c2 = b.Conv("conv2", r1, 8, 8);
        b.Node("Relu", "relu2", [c2], ["y"]);
        var random = new Random(11);
        var samples = Enumerable.Range(0, 60).Select(_ => new SampleTensor(SmoothImage(random, 3, 12, 12), [1, 3, 12, 12])).ToList();
        return (b.Build(), Dataset.FromTensors(samples));
    }

    private static QuantizationResult Quantize(OverflowFix fix, bool gptq)
    {
        var (model, data) = ImageModel();
        return Quantizer.Quantize(model.Onnx(), data, new QuantizationOptions
        {
            LatencyAware = Structural.LatencyOff, SubsetSize = 40, HoldOutSize = 20, OverflowFix = fix, FirstLayerGptq = gptq,
        });
    }

    /// <summary>The int8 codes the written model holds for conv1's weight.</summary>
    private static sbyte[] FirstWeights(QuantizationResult r)
    {
        var g = r.Model.Proto.Graph;
        var conv = g.Node.Single(n => n.Name == "conv1");
        var dq = g.Node.Single(n => n.Output[0] == conv.Input[1]);
        return TensorData.Raw(g.Initializer.Single(i => i.Name == dq.Input[0])).ToArray().Select(v => (sbyte)v).ToArray();
    }

    [Fact]
    public void The_first_conv_of_an_image_model_is_rounded_by_gptq_and_its_outputs_come_closer()
    {
        var rounded = Quantize(OverflowFix.FirstLayer, gptq: true);
        var nearest = Quantize(OverflowFix.FirstLayer, gptq: false);

        Assert.Equal(["conv1"], rounded.Report.GptqRounded);
        Assert.Empty(nearest.Report.GptqRounded);

        // The written first-layer weights stay on the 7-bit grid and differ from rounding to nearest.
        var codes = FirstWeights(rounded);
        Assert.All(codes, c => Assert.InRange((int)c, -64, 64));
        Assert.NotEqual(FirstWeights(nearest), codes);
        double gptqSqnr = rounded.Report.HoldOutAgreement!.SqnrDb, nearestSqnr = nearest.Report.HoldOutAgreement!.SqnrDb;
        Assert.True(gptqSqnr > nearestSqnr, $"held-out SQNR {gptqSqnr:0.00} dB with GPTQ against {nearestSqnr:0.00} dB");
    }

    [Fact]
    public void Full_8_bit_first_layer_weights_are_rounded_by_gptq_too()
    {
        var rounded = Quantize(OverflowFix.None, gptq: true);
        var nearest = Quantize(OverflowFix.None, gptq: false);
        Assert.Equal(["conv1"], rounded.Report.GptqRounded);
        Assert.Contains(FirstWeights(rounded), c => Math.Abs((int)c) > 64); // the full grid, not the overflow fix's
        Assert.True(rounded.Report.HoldOutAgreement!.SqnrDb > nearest.Report.HoldOutAgreement!.SqnrDb);
    }
}
