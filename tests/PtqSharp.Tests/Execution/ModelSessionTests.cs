using PtqSharp.Data;
using PtqSharp.Execution;
using PtqSharp.Onnx;

namespace PtqSharp.Tests.Execution;

public class ModelSessionTests
{
    /// <summary>y = x + 1 and an int64 shape output: two outputs, one not floating point.</summary>
    private static global::Onnx.ModelProto Model()
    {
        var b = new GraphBuilder().Input("x", -1, 4).Output("y", -1, 4);
        var one = b.Initializer("one", [1], [1f]);
        b.Node("Add", "add", ["x", one], ["y"]);
        b.Node("Shape", "shape", ["y"], ["s"]);
        var model = b.Build();
        model.Graph.Output.Add(GraphBuilder.ValueInfo("s", TensorData.Int64, [2]));
        return model;
    }

    private static Sample Input(params float[] values) => Sample.Single(new SampleTensor(values, [1, values.Length]), "probe.npy");

    [Fact]
    public void Runs_samples_and_reads_outputs_as_floats_in_model_order()
    {
        using var session = new ModelSession(Model());
        Assert.Equal(["y", "s"], session.OutputNames);
        var input = Assert.Single(session.Inputs);
        Assert.Equal(("x", TensorData.Float), (input.Name, input.ElementType));
        Assert.Equal([-1L, 4], input.Dimensions);

        var outputs = session.Run(Input(1, 2, 3, 4));
        Assert.Equal([2f, 3f, 4f, 5f], outputs[0]!);
        Assert.Null(outputs[1]); // int64: not a float output
    }

    [Fact]
    public void Visits_requested_outputs_without_copying_and_refuses_non_float_ones()
    {
        using var session = new ModelSession(Model());
        float sum = 0;
        session.Run(Input(1, 1, 1, 1), ["y"], (k, values) => sum += values[0] + values[3]);
        Assert.Equal(4f, sum);

        var e = Assert.Throws<PtqException>(() => session.Run(Input(1, 1, 1, 1), ["s"], (_, _) => { }));
        Assert.Contains("'s'", e.Message);
    }

    [Fact]
    public void A_sample_of_the_wrong_shape_is_named_with_both_shapes()
    {
        using var session = new ModelSession(Model());
        var e = Assert.Throws<PtqException>(() => session.Run(Input(1, 2, 3)));
        Assert.Contains("'probe.npy'", e.Message);
        Assert.Contains("[1x3]", e.Message);
        Assert.Contains("[batchx4]", e.Message); // the dynamic dimension by its name
    }

    [Fact]
    public void Settings_reach_the_runtime_and_a_graph_it_rejects_is_an_error()
    {
        using (var exact = new ModelSession(Model(), new ExecutionSettings { Threads = 1, ExactU8S8 = true, Optimization = GraphOptimization.None }))
        {
            Assert.Equal([1f, 1f, 1f, 1f], exact.Run(Input(0, 0, 0, 0))[0]!);
        }

        var broken = Model();
        broken.Graph.Node[0].OpType = "NoSuchOp";
        var e = Assert.Throws<PtqException>(() => new ModelSession(broken));
        Assert.Contains("ONNX Runtime could not load the model", e.Message);
    }

    [Fact]
    public void Optimizing_folds_what_the_level_allows_and_keeps_node_names()
    {
        var b = new GraphBuilder().Input("x", 1, 4).Output("y", 1, 4);
        var two = b.Initializer("two", [1], [2f]);
        b.Node("Add", "twice", [two, two], ["four"]);
        b.Node("Mul", "scale", ["x", "four"], ["y"]);
        var optimized = SessionFactory.Optimize(b.Build(), GraphOptimization.Basic);
        Assert.Equal(["scale"], optimized.Graph.Node.Select(n => n.Name)); // the constant Add folded away
    }
}
