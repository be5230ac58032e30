namespace PtqSharp.Hardware;

/// <summary>The hardware the quantized model is meant for; it selects the quantization rules.</summary>
public enum TargetDevice
{
    /// <summary>A portable model valid on every supported device.</summary>
    Any,

    /// <summary>CPUs through ONNX Runtime's integer kernels.</summary>
    Cpu,
}
