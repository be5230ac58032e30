using PtqSharp.Data;
using PtqSharp.Execution;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Execution;

public class ModelProfilerTests
{
    [Fact]
    public void Profiles_every_node_of_the_optimized_graph_and_leaves_no_trace_file()
    {
        // ONNX Runtime writes traces to the working folder unless it gets the prefix before profiling is turned on.
        static string[] Traces() => Directory.GetFiles(Directory.GetCurrentDirectory(), "onnxruntime_profile*");
        var before = Traces();

        var sample = RandomData.Samples(1, [1, 3, 16, 16]).Get(0);
        var profile = ModelProfiler.Profile(TestGraphs.TwoConv(), ExecutionSettings.WithThreads(1), sample, runs: 5, warmup: 2);

        Assert.Equal(before, Traces());
        Assert.All(profile.Optimized.Graph.Node, n => Assert.True(profile.Nodes.ContainsKey(n.Name), $"no time for {n.Name}"));
        var conv = profile.Nodes.Values.Where(n => n.OpType.Contains("Conv")).ToList();
        Assert.Equal(2, conv.Count); // conv1 and conv2, whatever the runtime fused them into
        Assert.All(conv, n => Assert.True(n.Microseconds > 0 && n.OutputElements > 0));
        Assert.Equal(profile.Nodes.Values.Sum(n => n.Microseconds), profile.TotalMicroseconds, 6);
    }
}
