namespace PtqSharp.Evaluation.Metrics;

/// <summary>Cosine similarity of the first float output with the FP32 model's: for embeddings and features.</summary>
internal sealed class CosineAgreement : AccuracyMetric
{
    public override string Name => "cosine";

    public override double Evaluate(int sample, IReadOnlyList<float[]?> outputs, IReadOnlyList<float[]?> reference) =>
        OutputAgreement.Cosine(FirstFloat(outputs, Name), FirstFloat(reference, Name));
}
