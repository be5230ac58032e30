using PtqSharp.Data;
using PtqSharp.Evaluation;
using PtqSharp.Onnx;
using PtqSharp.Quantization;

namespace PtqSharp.Tests.EndToEnd;

/// <summary>Quantization of real models: the shipped sample and the ResNet18 backbone from NuGet (opset 8, BatchNorm unfused).</summary>
public class RealModelTests
{
    private static readonly ImagePreprocessing SamplePreprocessing = new() { Width = 28, Height = 28, Channels = 1, Mean = [72.9f], Scale = [90f] };

    [Fact]
    public void Sample_classifier_keeps_its_accuracy_and_runs_integer_kernels()
    {
        var model = OnnxModel.Load(TestPaths.SampleModel);
        var calibration = ImageFolderDataset.Unlabeled(Path.Combine(TestPaths.Sample, "calibration"), SamplePreprocessing);
        var result = Quantizer.Quantize(model, calibration, new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 300, HoldOutSize = 100 });

        Assert.Equal(7, result.Report.QuantizedOps);
        Assert.Equal(4, result.Report.Kernels.Count("QLinearConv"));
        Assert.Equal(0, result.Report.Kernels.FloatComputeCount);
        Assert.True(result.Report.HoldOutAgreement!.Top1Agreement >= 0.97, $"top-1 agreement {result.Report.HoldOutAgreement.Top1Agreement}");

        var validation = ImageFolderDataset.ByClassFolder(Path.Combine(TestPaths.Sample, "validation"), SamplePreprocessing);
        double fp32 = ModelComparison.Top1(model, validation), int8 = ModelComparison.Top1(result.Model, validation);
        Assert.True(fp32 > 0.8, $"FP32 top-1 {fp32}");
        Assert.True(fp32 - int8 <= 0.01, $"FP32 {fp32} INT8 {int8}");
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public void ResNet18_from_opset_8_quantizes_to_fused_integer_convs_with_features_close_to_fp32()
    {
        Assert.True(File.Exists(TestPaths.ResNet18), $"ResNet18 from NuGet not restored at {TestPaths.ResNet18}");
        var model = OnnxModelIO.Load(TestPaths.ResNet18);
        var images = ImageFolderDataset.Unlabeled(Path.Combine(TestPaths.Sample, "calibration"),
            new ImagePreprocessing { Width = 224, Height = 224, Channels = 3, ColorOrder = ColorOrder.BGR, Mean = [110f] });

        // Calibrate on 32 images; compare features on 24 others.
        var result = Quantizer.Quantize(model.Onnx(), images, new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 32, HoldOutSize = 24, Seed = 1 });

        Assert.Equal(8, result.Report.OriginalOpset);
        Assert.Equal(22, result.Report.Kernels.Count("QLinearConv"));
        Assert.Equal(0, result.Report.Kernels.FloatComputeCount);
        Assert.DoesNotContain(result.Model.Proto.Graph.Node, n => n.OpType == "BatchNormalization");
        Assert.True(result.Report.SizeBefore > 3.5 * result.Report.SizeAfter, $"{result.Report.SizeBefore} -> {result.Report.SizeAfter}");
        var agreement = result.Report.HoldOutAgreement!;
        Assert.Equal(24, agreement.Samples);
        Assert.True(agreement.MeanCosine >= 0.99, $"mean cosine {agreement.MeanCosine}");
    }
}
