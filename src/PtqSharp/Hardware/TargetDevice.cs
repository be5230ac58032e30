namespace PtqSharp.Hardware;

/// <summary>The hardware the quantized model is meant for; it selects the quantization rules.</summary>
public enum TargetDevice
{
    /// <summary>A portable model whose quantizers every 8-bit device (CPU, GPU, NPU) accepts.</summary>
    Any,

    /// <summary>CPUs through ONNX Runtime's integer kernels (x86 without VNNI saturates; see the overflow fix).</summary>
    Cpu,

    /// <summary>GPUs: 8-bit, no u8s8 saturation.</summary>
    Gpu,

    /// <summary>NPUs and VPUs: asymmetric activations only.</summary>
    Npu,

    /// <summary>Alias of <see cref="Npu"/>, POT's name.</summary>
    Vpu,

    /// <summary>Intel GNA 1/2: 16-bit symmetric activations, 8- or 16-bit symmetric weights.</summary>
    Gna,

    /// <summary>Intel GNA 3: as GNA, and 8-bit activations for Conv.</summary>
    Gna3,

    /// <summary>Sapphire Rapids CPUs (AMX): the CPU rules with one quantizer fewer before an activation + activation Add.</summary>
    CpuSpr,
}
