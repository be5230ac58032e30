using System.Text.Json;
using Onnx;
using PtqSharp.Data;

namespace PtqSharp.Execution;

/// <summary>One node of the graph ONNX Runtime runs, with its median kernel time over the profiled runs.</summary>
/// <param name="Name">The node's name in the optimized graph.</param>
/// <param name="OpType">Its op type there (QLinearConv, FusedConv, ReorderInput, ...).</param>
/// <param name="Microseconds">Median kernel time per run.</param>
/// <param name="OutputElements">Elements of its first output.</param>
/// <param name="InputElements">Elements of its first input.</param>
internal sealed record NodeProfile(string Name, string OpType, double Microseconds, long OutputElements, long InputElements);

/// <summary>The graph ONNX Runtime made of a model (node names as the profiler reports them) and each node's time.</summary>
internal sealed record ModelProfile(ModelProto Optimized, IReadOnlyDictionary<string, NodeProfile> Nodes)
{
    /// <summary>The sum of the node medians: the model's kernel time per run, without the executor's own overhead.</summary>
    public double TotalMicroseconds => Nodes.Values.Sum(n => n.Microseconds);
}

/// <summary>Per-node times from ONNX Runtime's profiler, for a model run as users run it (all optimizations).</summary>
internal static class ModelProfiler
{
    /// <summary>
    /// Runs <paramref name="sample"/> <paramref name="warmup"/> times unprofiled-for-the-result and then
    /// <paramref name="runs"/> times, and returns each node's median kernel time. The optimized graph
    /// comes from the same session, so its node names are the profiler's.
    /// </summary>
    public static ModelProfile Profile(ModelProto model, ExecutionSettings settings, Sample sample, int runs, int warmup)
    {
        var dir = TempFolders.Create("ptq-profile-");
        try
        {
            var optimizedPath = Path.Combine(dir.FullName, "optimized.onnx");
            string profilePath;
            using (var session = new ModelSession(model, settings, optimizedPath, Path.Combine(dir.FullName, "profile")))
            {
                using var run = session.Prepare(sample);
                for (int i = 0; i < warmup + runs; i++) run.Run();
                profilePath = session.EndProfiling();
            }

            try
            {
                var optimized = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimizedPath));
                return new ModelProfile(optimized, Read(profilePath, warmup));
            }
            finally
            {
                // The trace belongs in the temporary folder; never leave one anywhere else.
                if (!Path.GetFullPath(profilePath).StartsWith(dir.FullName, StringComparison.Ordinal)) File.Delete(profilePath);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Reads the profiler's JSON (an array of trace events) and takes, per node, the median of its kernel times after the warm-up runs.</summary>
    private static Dictionary<string, NodeProfile> Read(string path, int warmup)
    {
        const string suffix = "_kernel_time";
        var times = new Dictionary<string, List<double>>();
        var facts = new Dictionary<string, (string Op, long Out, long In)>();
        using (var stream = File.OpenRead(path))
        using (var doc = JsonDocument.Parse(stream))
        {
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (!e.TryGetProperty("cat", out var cat) || cat.GetString() != "Node") continue;
                var name = e.GetProperty("name").GetString()!;
                if (!name.EndsWith(suffix, StringComparison.Ordinal)) continue;
                name = name[..^suffix.Length];
                if (!times.TryGetValue(name, out var list)) times[name] = list = [];
                list.Add(e.GetProperty("dur").GetDouble());
                if (!facts.ContainsKey(name) && e.TryGetProperty("args", out var args))
                {
                    facts[name] = (args.TryGetProperty("op_name", out var op) ? op.GetString() ?? "" : "", Elements(args, "output_type_shape"), Elements(args, "input_type_shape"));
                }
            }
        }

        return times.ToDictionary(kv => kv.Key, kv =>
        {
            // A node that runs once per model run appears warmup + runs times; skip the warm-up ones.
            var measured = kv.Value.Skip(Math.Min(warmup, kv.Value.Count - 1)).Order().ToList();
            var (op, outputs, inputs) = facts.GetValueOrDefault(kv.Key, ("", 0, 0));
            return new NodeProfile(kv.Key, op, measured[measured.Count / 2], outputs, inputs);
        });
    }

    /// <summary>Elements of the first tensor in an args shape list such as [{"uint8": [1, 16, 24, 96]}, ...].</summary>
    private static long Elements(JsonElement args, string key)
    {
        if (!args.TryGetProperty(key, out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0) return 0;
        foreach (var typed in list[0].EnumerateObject())
        {
            long n = 1;
            foreach (var d in typed.Value.EnumerateArray()) n *= Math.Max(1, d.GetInt64());
            return n;
        }

        return 0;
    }
}
