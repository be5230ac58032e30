using System.IO.Compression;
using PtqSharp.Data;
using PtqSharp.Quantization;

namespace PtqSharp.Tests.Data;

public class NumpyFolderDatasetTests
{
    private static byte[] RandomFloats(Random r, int n) => NpyTests.Floats(Enumerable.Range(0, n).Select(_ => (float)r.NextDouble() * 2 - 1).ToArray());

    [Fact]
    public void Npy_samples_may_differ_in_dynamic_dimensions()
    {
        // x [1, seq, 8] -> MatMul [8, 4]: sequence lengths 3..7 across samples.
        var b = new GraphBuilder().Input("x", 1, -1, 8).Output("y", 1, -1, 4);
        var w = b.Weight("w", 8, 4);
        b.Node("MatMul", "proj", ["x", w], ["y"]);
        var model = b.Build();
        model.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimParam = "seq";

        var dir = TestPaths.NewTempDir();
        var r = new Random(3);
        for (int i = 0; i < 12; i++)
        {
            int seq = 3 + i % 5;
            File.WriteAllBytes(Path.Combine(dir, $"{i:00}.npy"), NpyTests.NpyBytes("<f4", [1, seq, 8], RandomFloats(r, seq * 8)));
        }

        var result = Quantizer.Quantize(model.Onnx(), new NumpyFolderDataset(dir), new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 8, HoldOutSize = 4 });
        Assert.Equal(1, result.Report.QuantizedOps);
        Assert.Equal(0, result.Report.Kernels.FloatComputeCount); // MatMul runs as an integer kernel
        Assert.True(result.Report.HoldOutAgreement!.MeanCosine > 0.99);
    }

    [Fact]
    public void Npz_samples_feed_multi_input_models_by_input_name()
    {
        var b = new GraphBuilder().Input("a", 1, 4, 4, 4).Input("b", 1, 4, 4, 4).Output("y", 1, 4, 4, 4);
        b.Node("Add", "sum", ["a", "b"], ["s"]);
        b.Conv("conv", "s", 4, 4);
        var model = b.Build();
        model.Graph.Node.Last().Output[0] = "y";

        var dir = TestPaths.NewTempDir();
        var r = new Random(5);
        for (int i = 0; i < 10; i++)
        {
            using var zip = ZipFile.Open(Path.Combine(dir, $"{i}.npz"), ZipArchiveMode.Create);
            foreach (var name in new[] { "a", "b" })
            {
                using var s = zip.CreateEntry(name + ".npy").Open();
                s.Write(NpyTests.NpyBytes("<f4", [1, 4, 4, 4], RandomFloats(r, 64)));
            }
        }

        var result = Quantizer.Quantize(model.Onnx(), new NumpyFolderDataset(dir), new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 6, HoldOutSize = 4 });
        Assert.Equal(2, result.Report.QuantizedOps);
        Assert.Equal(1, result.Report.Kernels.Count("QLinearAdd"));
        Assert.Equal(1, result.Report.Kernels.Count("QLinearConv"));
    }
}
