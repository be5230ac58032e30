using PtqSharp.Data;

namespace PtqSharp.Evaluation.Metrics;

/// <summary>1 when the label is among the k highest scores of the first output, else 0.</summary>
internal sealed class TopKAccuracy(LabeledDataset data, int k) : AccuracyMetric
{
    public override string Name => $"top{k}";

    public override double Evaluate(int sample, IReadOnlyList<float[]?> outputs, IReadOnlyList<float[]?> reference)
    {
        var scores = FirstFloat(outputs, Name);
        int label = data.Label(sample);
        if ((uint)label >= (uint)scores.Length)
        {
            throw new PtqException($"Sample {sample} has label {label}, but the model output has {scores.Length} classes; check the labels (0-based class indices).");
        }

        // The label is in the top k when fewer than k scores beat it.
        float target = scores[label];
        int higher = 0;
        foreach (var s in scores)
        {
            if (s > target && ++higher >= k) return 0;
        }

        return 1;
    }
}
