using System.Runtime.CompilerServices;
using PtqSharp.Data;
using PtqSharp.Onnx;
using PtqSharp.Quantization;

namespace PtqSharp.Tests.Onnx;

public class ScratchFolderTests
{
    private static readonly QuantizationOptions Fast = new() { SubsetSize = 16, HoldOutSize = 0, LatencyAware = new LatencyAwareOptions { Enabled = false } };

    private static Dataset Calibration(OnnxModel model) => ImageFolderDataset.Unlabeled(Path.Combine(TestPaths.Sample, "calibration"),
        new ImagePreprocessing { Mean = [72.9f], Scale = [90f] }.ResolveFor(model));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (string Folder, WeakReference Model) QuantizeAndSave(string output)
    {
        var model = OnnxModel.Load(TestPaths.SampleModel);
        var result = Quantizer.Quantize(model, Calibration(model), Fast);
        var folder = result.Model.Scratch?.Location;
        Assert.NotNull(folder);
        Assert.NotEmpty(Directory.GetFiles(folder)); // the integer weights are there, not in memory
        Assert.Contains(result.Model.Proto.Graph.Initializer, ExternalData.IsExternal);
        result.Save(output);
        return (folder, new WeakReference(result.Model));
    }

    [Fact]
    public void A_results_weights_stay_in_its_scratch_folder_until_the_model_is_collected()
    {
        var output = Path.Combine(TestPaths.NewTempDir(), "int8.onnx");
        var (folder, model) = QuantizeAndSave(output);
        Assert.True(Directory.Exists(folder));

        // The saved model holds its weights itself.
        var saved = OnnxModel.Load(output);
        Assert.DoesNotContain(saved.Proto.Graph.Initializer, ExternalData.IsExternal);
        using (var session = new Microsoft.ML.OnnxRuntime.InferenceSession(output)) Assert.Single(session.InputMetadata);

        for (int i = 0; i < 5 && (model.IsAlive || Directory.Exists(folder)); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(Directory.Exists(folder), $"{folder} outlived the model that used it (model alive: {model.IsAlive})");
    }

    [Fact]
    public void A_scope_whose_results_hold_no_weights_removes_its_folder_when_it_ends()
    {
        string? folder;
        var tensor = PtqSharp.Onnx.TensorData.FromFloats("w", [1024], new float[1024]);
        using (ScratchFolder.Enter())
        {
            Assert.Same(tensor, ScratchFolder.Offload(tensor));
            Assert.True(ExternalData.IsExternal(tensor));
            Assert.Equal(new byte[4096], ExternalData.Read(tensor));
            folder = ScratchFolder.Current!.Location;
            Assert.True(Directory.Exists(folder));
        }

        Assert.Null(ScratchFolder.Current);
        Assert.False(Directory.Exists(folder));

        // Outside a scope, nothing is moved.
        var small = PtqSharp.Onnx.TensorData.FromFloats("v", [1024], new float[1024]);
        Assert.False(ExternalData.IsExternal(ScratchFolder.Offload(small)));
    }
}
