using PtqSharp.Data;
using PtqSharp.Evaluation;

namespace PtqSharp.Tests.Evaluation;

public class AccuracyMetricTests
{
    private sealed class Labels(params int[] labels) : LabeledDataset
    {
        public override int Count => labels.Length;

        public override Sample Get(int index) => throw new NotSupportedException();

        public override int Label(int index) => labels[index];
    }

    private static float[]?[] Out(params float[] scores) => [scores];

    [Fact]
    public void Top_k_counts_the_label_among_the_k_highest_scores()
    {
        var data = new Labels(2, 6);
        var scores = Out(0.1f, 0.5f, 0.3f, 0.9f, 0.2f, 0.0f, 0.05f);
        Assert.Equal(0, AccuracyMetric.Top1(data).Evaluate(0, scores, scores));
        Assert.Equal(1, AccuracyMetric.Top5(data).Evaluate(0, scores, scores)); // label 2 is third
        Assert.Equal(0, AccuracyMetric.Top5(data).Evaluate(1, scores, scores)); // label 6 is sixth
        Assert.Equal(1, AccuracyMetric.Top1(new Labels(3)).Evaluate(0, scores, scores));
    }

    [Fact]
    public void A_label_outside_the_outputs_names_the_sample()
    {
        var e = Assert.Throws<PtqException>(() => AccuracyMetric.Top1(new Labels(0, 9)).Evaluate(1, Out(1, 2), Out(1, 2)));
        Assert.Contains("Sample 1 has label 9", e.Message);
    }

    [Fact]
    public void Agreement_metrics_compare_with_the_reference_outputs()
    {
        Assert.Equal(1, AccuracyMetric.Top1Agreement.Evaluate(0, Out(0, 3, 1), Out(0.2f, 2, 1)));
        Assert.Equal(0, AccuracyMetric.Top1Agreement.Evaluate(0, Out(5, 3, 1), Out(0.2f, 2, 1)));
        Assert.Equal(1.0, AccuracyMetric.Cosine.Evaluate(0, Out(1, 2), Out(2, 4)), 9);
        Assert.Equal(0.0, AccuracyMetric.Cosine.Evaluate(0, Out(1, 0), Out(0, 3)), 9);
    }
}
