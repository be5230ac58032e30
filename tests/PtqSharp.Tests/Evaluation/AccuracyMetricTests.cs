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

    [Fact]
    public void Top1_agreement_on_a_sequence_output_is_the_share_of_positions_that_agree()
    {
        // [1, T=3, C=4] class scores: positions 0 and 1 agree, position 2 does not, and the flattened argmax (position 1,
        // class 1) agrees, so only scoring position by position sees the difference.
        var b = new GraphBuilder().Input("x", 1, 4).Output("y", -1, 3, 4);
        b.Node("Identity", "id", ["x"], ["y"]);
        var metric = AccuracyMetric.Top1Agreement.BindTo(b.Build());
        var reference = Out(0.9f, 0, 0, 0, /**/ 0, 5, 0, 0, /**/ 0, 0, 0.8f, 0);
        var quantized = Out(0.8f, 0, 0, 0, /**/ 0, 5, 0, 0, /**/ 0, 0, 0, 0.7f);

        Assert.Equal(2.0 / 3, metric.Evaluate(0, quantized, reference), 10);
        Assert.Equal(1, AccuracyMetric.Top1Agreement.Evaluate(0, quantized, reference)); // unbound: one argmax over all

        // A classifier's [1, C] output has one position: the same as before.
        var classifier = new GraphBuilder().Input("x", 1, 4).Output("y", 1, 4);
        classifier.Node("Identity", "id", ["x"], ["y"]);
        Assert.Equal(0, AccuracyMetric.Top1Agreement.BindTo(classifier.Build()).Evaluate(0, Out(1, 0, 0, 2), Out(1, 0, 0, 0)));
    }
}
