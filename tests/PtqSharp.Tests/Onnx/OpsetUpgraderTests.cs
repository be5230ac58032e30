using PtqSharp.Execution;
using Onnx;
using PtqSharp.Data;
using PtqSharp.Onnx;

namespace PtqSharp.Tests.Onnx;

public class OpsetUpgraderTests
{
    /// <summary>Conv -> BatchNorm(spatial) -> Clip(attrs) -> Flatten -> Softmax(axis 1): every op whose form changed by opset 13.</summary>
    private static ModelProto Opset8Model()
    {
        var b = new GraphBuilder().Opset(8).Input("x", 1, 2, 4, 4).Output("y", 1, 32);
        var c = b.Conv("conv", "x", 2, 2);
        var scale = b.Initializer("bn.s", [2], [1.5f, 0.5f]);
        var bias = b.Initializer("bn.b", [2], [0.1f, -0.2f]);
        var mean = b.Initializer("bn.m", [2], [0.05f, 0.02f]);
        var var_ = b.Initializer("bn.v", [2], [0.9f, 1.1f]);
        b.Node("BatchNormalization", "bn", [c, scale, bias, mean, var_], ["bn_out"], n => n.SetInt("spatial", 1));
        b.Node("Clip", "clip", ["bn_out"], ["clip_out"], n =>
        {
            n.Attribute.Add(new AttributeProto { Name = "min", Type = AttributeProto.Types.AttributeType.Float, F = -0.5f });
            n.Attribute.Add(new AttributeProto { Name = "max", Type = AttributeProto.Types.AttributeType.Float, F = 0.8f });
        });
        b.Node("Flatten", "flat", ["clip_out"], ["flat_out"], n => n.SetInt("axis", 1));
        b.Node("Softmax", "soft", ["flat_out"], ["y"], n => n.SetInt("axis", 1));
        return b.Build();
    }

    private static float[] Run(ModelProto model, float[] input)
    {
        using var runner = new ModelSession(model);
        return runner.Run(Sample.Single(new SampleTensor(input, [1, 2, 4, 4])))[0]!;
    }

    [Fact]
    public void Upgraded_model_is_opset_13_and_computes_the_same_outputs()
    {
        var original = Opset8Model();
        var upgraded = original.Clone();
        Assert.Equal(8, OpsetUpgrader.Upgrade(upgraded));
        Assert.Equal(13, OpsetUpgrader.DefaultOpset(upgraded));
        Assert.DoesNotContain(upgraded.Graph.Node.Single(n => n.OpType == "BatchNormalization").Attribute, a => a.Name == "spatial");
        Assert.Equal(3, upgraded.Graph.Node.Single(n => n.OpType == "Clip").Input.Count);

        var input = Enumerable.Range(0, 32).Select(i => (i - 16) / 10f).ToArray();
        var expected = Run(original, input);
        var actual = Run(upgraded, input);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5f);
    }

    [Fact]
    public void Softmax_on_a_non_last_axis_keeps_its_old_flattening_meaning()
    {
        var b = new GraphBuilder().Opset(8).Input("x", 1, 2, 3).Output("y", 1, 2, 3);
        b.Node("Softmax", "soft", ["x"], ["y"], n => n.SetInt("axis", 1));
        var original = b.Build();
        var upgraded = original.Clone();
        OpsetUpgrader.Upgrade(upgraded);

        var input = new float[] { 0.1f, 0.5f, -1f, 2f, 0.3f, 0.7f };
        using var r1 = new ModelSession(original);
        using var r2 = new ModelSession(upgraded);
        var expected = r1.Run(Sample.Single(new SampleTensor(input, [1, 2, 3])))[0]!;
        var actual = r2.Run(Sample.Single(new SampleTensor(input, [1, 2, 3])))[0]!;
        Assert.Equal(1f, actual.Sum(), 1e-5f); // normalised over the flattened 6 values, as in opset 8
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-6f);
    }

    [Theory]
    [InlineData(10)] // Resize(X, scales), Upsample's successor
    [InlineData(11)] // Resize(X, roi, scales[, sizes]) with coordinate modes
    public void Resize_from_opset_10_and_11_upgrades_and_resizes_the_same(int opset)
    {
        var b = new GraphBuilder().Opset(opset).Input("x", 1, 2, 4, 4).Output("y", 1, 2, 8, 8);
        var scales = b.Initializer("scales", [4], [1f, 1f, 2f, 2f]);
        string[] inputs = opset == 10 ? ["x", scales] : ["x", b.Initializer("roi", [0], []), scales];
        b.Node("Resize", "up", inputs, ["y"], n =>
        {
            n.Attribute.Add(new AttributeProto { Name = "mode", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8("linear") });
            if (opset == 11)
            {
                n.Attribute.Add(new AttributeProto { Name = "coordinate_transformation_mode", Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8("half_pixel") });
            }
        });
        var original = b.Build();
        var upgraded = original.Clone();
        Assert.Equal(opset, OpsetUpgrader.Upgrade(upgraded));
        Assert.Equal(13, OpsetUpgrader.DefaultOpset(upgraded));

        var input = Enumerable.Range(0, 32).Select(i => (i % 7) / 3f).ToArray();
        var expected = Run(original, input);
        var actual = Run(upgraded, input);
        Assert.Equal(128, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-5f);
    }

    [Fact]
    public void Op_with_an_unhandled_change_is_an_error_naming_the_node()
    {
        var b = new GraphBuilder().Opset(8).Input("x", 1, 4).Output("y", 1, 4);
        b.Node("Scan", "my_scan", ["x"], ["y"]);
        var e = Assert.Throws<PtqException>(() => OpsetUpgrader.Upgrade(b.Build()));
        Assert.Contains("'my_scan' (Scan)", e.Message);
        Assert.Contains("opset 13", e.Message);
    }
}
