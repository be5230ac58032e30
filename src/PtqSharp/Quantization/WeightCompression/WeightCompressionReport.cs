namespace PtqSharp.Quantization.WeightCompression;

/// <summary>What weight compression did: every layer with its bits and error, sizes, and the kernels ONNX Runtime runs.</summary>
public sealed record WeightCompressionReport
{
    /// <summary>The mode asked for.</summary>
    public required WeightCompressionMode Mode { get; init; }

    /// <summary>The group size asked for.</summary>
    public required int GroupSize { get; init; }

    /// <summary>The ratio asked for (4-bit share of the weights).</summary>
    public required double Ratio { get; init; }

    /// <summary>Whether MatMul weights were rounded with GPTQ; their output error is then under the full input Hessian, not its diagonal.</summary>
    public bool Gptq { get; init; }

    /// <summary>The input tensors AWQ scaled (a Mul before their readers divides them), with the exponent chosen.</summary>
    public IReadOnlyList<string> AwqScaled { get; init; } = [];

    /// <summary>Every compressed weight, in graph order.</summary>
    public required IReadOnlyList<CompressedLayer> Layers { get; init; }

    /// <summary>Weights left in float, and why.</summary>
    public required IReadOnlyList<SkippedNode> Skipped { get; init; }

    /// <summary>The share of compressed weights (by count) stored in 4 bits.</summary>
    public double FourBitShare => Layers.Sum(l => l.Shape.Aggregate(1L, (a, d) => a * d) * (l.Bits == 4 ? 1 : 0)) / Math.Max(1.0, Layers.Sum(l => (double)l.Shape.Aggregate(1L, (a, d) => a * d)));

    /// <summary>Size of the float model in bytes.</summary>
    public required long SizeBefore { get; init; }

    /// <summary>Size of the compressed model in bytes.</summary>
    public required long SizeAfter { get; init; }

    /// <summary>Op counts of the graph ONNX Runtime runs: MatMulNBits and GatherBlockQuantized show the weight-only kernels are used.</summary>
    public required IReadOnlyDictionary<string, int> RuntimeOpCounts { get; init; }

    /// <summary>Time taken.</summary>
    public required TimeSpan Time { get; init; }

    /// <summary>The report as indented JSON with snake_case keys.</summary>
    public string ToJson() => ReportJson.Serialize(this);
}
