using PtqSharp.Onnx;
using PtqSharp.Statistics;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Statistics;

public class PiecewisePassTests
{
    [Fact]
    public void A_piece_that_reads_what_the_one_before_kept_measures_what_the_whole_model_does()
    {
        // x -> conv1 -> relu1 -> conv2 -> add(relu1, conv2) -> conv3 (y): relu1's output crosses the cut at conv2.
        var b = new GraphBuilder().Input("x", 1, 3, 8, 8).Output("y", 1, 4, 8, 8);
        var r = b.Relu("relu1", b.Conv("conv1", "x", 3, 4));
        var c2 = b.Conv("conv2", r, 4, 4);
        b.Node("Add", "add", [r, c2], ["sum"]);
        b.Node("Conv", "conv3", ["sum", b.Weight("c3.w", 4, 4, 1, 1)], ["y"]);
        var model = b.Build();
        var segments = GraphSegments.TryCreate(model)!;
        int cut = segments.PositionOf("conv2"), last = segments.PositionOf("conv3");
        StatisticPoint Mean(string t) => new(t, ChannelMeanStatistic.Instance);
        var engine = new StatisticsEngine(RandomData.Samples(3, [1, 3, 8, 8], seed: 2), [0, 1, 2], 1, null, default);
        var whole = engine.Collect(model, [Mean(c2), Mean("y")], "");

        using var pass = engine.Piecewise(1L << 30);
        var keep = segments.Crossing(0, cut);
        Assert.Equal([r], keep);
        var first = pass.Collect(segments.Piece(0, cut, keep, pass.ElementType), [Mean(c2)], keep);
        var second = segments.Piece(cut, last, [], pass.ElementType);
        Assert.Equal([r], second.Graph.Input.Select(i => i.Name)); // not x: conv1 does not run again
        var rest = pass.Collect(second, [Mean("y")], []);

        Assert.Equal(whole.ChannelMean(c2), first.ChannelMean(c2));
        Assert.Equal(whole.ChannelMean("y"), rest.ChannelMean("y"));
        int add = segments.PositionOf("add");
        Assert.True(segments.DeadFrom(r, add + 1) && !segments.DeadFrom(r, add));
    }

    [Fact]
    public void A_piece_that_would_keep_more_than_the_cap_fails_and_keeps_nothing()
    {
        var b = new GraphBuilder().Input("x", 1, 3, 8, 8).Output("y", 1, 4, 8, 8);
        var r = b.Relu("relu1", b.Conv("conv1", "x", 3, 4));
        b.Node("Conv", "conv2", [r, b.Weight("c2.w", 4, 4, 1, 1)], ["y"]);
        var segments = GraphSegments.TryCreate(b.Build())!;
        var engine = new StatisticsEngine(RandomData.Samples(3, [1, 3, 8, 8], seed: 2), [0, 1, 2], 1, null, default);
        int last = segments.PositionOf("conv2");

        // relu1's output is 4 x 8 x 8 floats (1 KiB) per sample: three samples need 3 KiB.
        using var pass = engine.Piecewise(keptBytes: 2048);
        var piece = segments.Piece(0, last - 1, [r], pass.ElementType);
        var e = Assert.Throws<PtqException>(() => pass.Collect(piece, [new StatisticPoint(r, ChannelMeanStatistic.Instance)], [r]));
        Assert.Contains("Kept tensors would exceed", e.Message);
        Assert.Empty(pass.Held);
    }
}
