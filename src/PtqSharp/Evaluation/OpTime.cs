namespace PtqSharp.Evaluation;

/// <summary>One node of the graph ONNX Runtime runs, with its kernel time from ONNX Runtime's profiler.</summary>
/// <param name="Name">The node's name in the runtime's optimized graph (fused nodes get new names).</param>
/// <param name="OpType">Its op type there, e.g. QLinearConv, FusedConv, QuantizeLinear.</param>
/// <param name="Microseconds">Median kernel time per inference.</param>
/// <param name="Share">Its share of the sum of all nodes' times.</param>
public sealed record OpTime(string Name, string OpType, double Microseconds, double Share);
