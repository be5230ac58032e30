using Google.Protobuf;
using Onnx;
using PtqSharp.Onnx;

namespace PtqSharp.Tests.Cli;

/// <summary>
/// Damaged models, made from the shipped sample by seeded mutations of its bytes and of its graph, go through
/// <c>ptq quantize</c>: every run must end with exit 0 and a model ONNX Runtime loads, or with a readable
/// error (exit 2) and no output; never an internal error, a stack trace or a half-written file.
/// </summary>
[Collection("cli")]
public class HostileModelTests
{
    private static readonly string Calibration = Path.Combine(TestPaths.Sample, "calibration");

    public static TheoryData<int> ByteSeeds() => Seeds(0, 150);

    public static TheoryData<int> GraphSeeds() => Seeds(1000, 150);

    private static TheoryData<int> Seeds(int first, int count)
    {
        var data = new TheoryData<int>();
        foreach (var seed in Enumerable.Range(first, count)) data.Add(seed);
        return data;
    }

    [Theory]
    [Trait("Category", TestCategories.Slow)]
    [MemberData(nameof(ByteSeeds))]
    public void A_model_with_damaged_bytes_is_quantized_or_refused_cleanly(int seed)
    {
        var bytes = File.ReadAllBytes(TestPaths.SampleModel);
        AssertHandled(MutateBytes(bytes, new Random(seed)), seed);
    }

    [Theory]
    [Trait("Category", TestCategories.Slow)]
    [MemberData(nameof(GraphSeeds))]
    public void A_model_with_a_damaged_graph_is_quantized_or_refused_cleanly(int seed)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(TestPaths.SampleModel));
        MutateGraph(model, new Random(seed));
        AssertHandled(model.ToByteArray(), seed);
    }

    private static void AssertHandled(byte[] model, int seed)
    {
        var dir = TestPaths.NewTempDir();
        var modelPath = Path.Combine(dir, "fuzzed.onnx");
        File.WriteAllBytes(modelPath, model);
        var outPath = Path.Combine(dir, "out.onnx");
        var (code, output) = CliRunner.Run("quantize", "--model", modelPath, "--data", Calibration, "--mean", "72.9", "--scale", "90",
            "--subset-size", "16", "--hold-out", "8", "--latency-aware", "false", "--output", outPath);

        Assert.True(code is 0 or 2, $"seed {seed}: exit {code}\n{output}");
        Assert.DoesNotContain("   at ", output); // no stack trace without --verbose
        Assert.Equal(new[] { "fuzzed.onnx" }.Concat(code == 0 ? ["out.onnx"] : []), Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        if (code == 0)
        {
            using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(outPath);
            Assert.NotEmpty(session.InputMetadata);
        }
        else
        {
            Assert.Contains("error:", output);
        }
    }

    /// <summary>Flips, zeroes, truncates or repeats a few bytes: what a bad download or disk does.</summary>
    private static byte[] MutateBytes(byte[] bytes, Random random)
    {
        var copy = (byte[])bytes.Clone();
        switch (random.Next(4))
        {
            case 0:
                for (int i = random.Next(1, 9); i > 0; i--) copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
                return copy;
            case 1:
                int start = random.Next(copy.Length), length = random.Next(1, 64);
                Array.Clear(copy, start, Math.Min(length, copy.Length - start));
                return copy;
            case 2:
                return copy[..random.Next(copy.Length)];
            default:
                int from = random.Next(copy.Length), count = random.Next(1, Math.Min(256, copy.Length - from) + 1);
                return [.. copy[..from], .. copy[from..(from + count)], .. copy[from..]];
        }
    }

    /// <summary>
    /// Breaks the graph where it still parses: what a buggy exporter or a hand edit writes. Wrong op types,
    /// rewired or missing inputs, shapes that disagree with the data, odd element types and attributes.
    /// </summary>
    private static void MutateGraph(ModelProto model, Random random)
    {
        var graph = model.Graph;
        NodeProto AnyNode() => graph.Node[random.Next(graph.Node.Count)];
        TensorProto AnyInitializer() => graph.Initializer[random.Next(graph.Initializer.Count)];
        var names = graph.Node.SelectMany(n => n.Output).Concat(graph.Input.Select(i => i.Name)).Concat(graph.Initializer.Select(i => i.Name)).ToList();
        for (int m = random.Next(1, 3); m > 0; m--)
        {
            switch (random.Next(14))
            {
                case 0: AnyNode().OpType = new[] { "Conv", "Relu", "Add", "MatMul", "Gemm", "Sigmoid", "Nope", "QuantizeLinear", "DequantizeLinear", "" }[random.Next(10)]; break;
                case 1: { var n = AnyNode(); if (n.Input.Count > 0) n.Input[random.Next(n.Input.Count)] = names[random.Next(names.Count)]; break; }
                case 2: { var n = AnyNode(); if (n.Input.Count > 0) n.Input[random.Next(n.Input.Count)] = "missing"; break; }
                case 3: { var n = AnyNode(); if (n.Input.Count > 0) n.Input.RemoveAt(n.Input.Count - 1); break; }
                case 4: { var t = AnyInitializer(); if (t.Dims.Count > 0) t.Dims[random.Next(t.Dims.Count)] += random.Next(-2, 3); break; }
                case 5: AnyInitializer().DataType = random.Next(0, 20); break;
                case 6: { var t = AnyInitializer(); if (t.RawData.Length > 0) t.RawData = ByteString.CopyFrom(t.RawData.Span[..random.Next(t.RawData.Length)]); break; }
                case 7: { var n = AnyNode(); graph.Node.Remove(n); graph.Node.Insert(random.Next(graph.Node.Count + 1), n); break; }
                case 8: { var n = AnyNode(); n.Output[0] = names[random.Next(names.Count)]; break; }
                case 9:
                {
                    var n = AnyNode();
                    if (n.Attribute.Count > 0) { var a = n.Attribute[random.Next(n.Attribute.Count)]; a.Ints.Clear(); a.Ints.Add(random.Next(-3, 9)); a.I = random.Next(-3, 9); }
                    break;
                }
                case 10: graph.Input[0].Type.TensorType.ElemType = random.Next(0, 20); break;
                case 11: { var dims = graph.Input[0].Type.TensorType.Shape.Dim; if (dims.Count > 0) dims[random.Next(dims.Count)].DimValue = random.Next(-1, 64); break; }
                case 12: model.OpsetImport[0].Version = random.Next(1, 30); break;
                default: graph.Node.RemoveAt(random.Next(graph.Node.Count)); break;
            }
        }
    }
}
