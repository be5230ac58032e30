using Onnx;
using PtqSharp.Execution;
using PtqSharp.Onnx;

namespace PtqSharp.Quantization;

/// <summary>
/// The float model quantizers are placed in: opset upgraded to 13, FP16 computed as FP32, BatchNorm
/// and constants folded by ONNX Runtime's BASIC level. Deterministic, so a later run yields the same
/// tensor names as calibration saw.
/// </summary>
internal static class ModelPreprocessor
{
    public static (ModelProto Model, int OriginalOpset) Prepare(ModelProto original)
    {
        var working = original.Clone();
        int originalOpset = OpsetUpgrader.Upgrade(working);
        if (Float16Converter.HasFloat16(working)) Float16Converter.ToFloat32(working);
        return (SessionFactory.Optimize(working, GraphOptimization.Basic), originalOpset);
    }
}
