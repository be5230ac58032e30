using PtqSharp.Execution;
using PtqSharp.Onnx;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Onnx;

public class GraphOutputsTests
{
    [Fact]
    public void Only_keeps_the_nodes_a_tensor_depends_on_and_computes_it_as_the_whole_model_does()
    {
        // x -> conv1 -> relu1 -> conv2 (y), and x -> conv3 (z): relu1's output needs conv1 and relu1 only.
        var b = new GraphBuilder().Input("x", 1, 3, 8, 8).Output("y", 1, 4, 8, 8).Output("z", 1, 2, 8, 8);
        var r = b.Relu("relu1", b.Conv("conv1", "x", 3, 4));
        b.Node("Conv", "conv2", [r, b.Weight("c2.w", 4, 4, 1, 1)], ["y"]);
        b.Node("Conv", "conv3", ["x", b.Weight("c3.w", 2, 3, 1, 1)], ["z"]);
        var model = b.Build();

        var only = GraphOutputs.Only(model, r);

        Assert.Equal(["conv1", "relu1"], only.Graph.Node.Select(n => n.Name));
        Assert.Equal(r, Assert.Single(only.Graph.Output).Name);
        Assert.Equal(["conv1.b", "conv1.w"], only.Graph.Initializer.Select(i => i.Name).Order());
        var sample = RandomData.Samples(1, [1, 3, 8, 8], seed: 4).Get(0);
        using var whole = new ModelSession(GraphOutputs.Expose(model, [r]));
        using var part = new ModelSession(only);
        Assert.Equal(whole.Run(sample)[2], part.Run(sample)[0]);
        Assert.Equal(4, model.Graph.Node.Count); // the original is untouched
    }
}
