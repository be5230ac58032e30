namespace PtqSharp.Quantization;

/// <summary>Model families with their own quantization scheme, as POT's model_type.</summary>
public enum ModelType
{
    /// <summary>Every op type the device rules list.</summary>
    Default,

    /// <summary>Only MatMul/Gemm (and Conv): LayerNorm, Softmax and GELU pieces and residual adds stay float; SmoothQuant first; symmetric inputs for activation x activation MatMuls.</summary>
    Transformer,
}
