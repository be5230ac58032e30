using System.Globalization;
using System.Text.RegularExpressions;
using Onnx;
using PtqSharp.Onnx;

namespace PtqSharp.Quantization;

/// <summary>
/// Resolves an <see cref="IgnoredScope"/> against a model. Every entry must match something: a
/// typo would otherwise silently quantize the layer the user meant to protect.
/// </summary>
internal sealed class IgnoredScopeMatcher
{
    private readonly HashSet<string> _names;
    private readonly Regex[] _patterns;
    private readonly HashSet<string> _types;
    private readonly IReadOnlyList<IgnoredOperation> _operations;

    private IgnoredScopeMatcher(HashSet<string> names, Regex[] patterns, HashSet<string> types, IReadOnlyList<IgnoredOperation> operations)
    {
        _names = names;
        _patterns = patterns;
        _types = types;
        _operations = operations;
    }

    public static IgnoredScopeMatcher Create(IgnoredScope scope, GraphProto graph)
    {
        var nodeNames = graph.Node.Select(n => n.Name).Where(n => n.Length > 0).ToList();
        var opTypes = graph.Node.Select(n => n.OpType).Distinct().ToList();
        var errors = new List<string>();
        foreach (var name in scope.Names.Where(n => !nodeNames.Contains(n)))
        {
            errors.Add($"ignored name '{name}' matches no node{NearMatches(name, nodeNames)}");
        }

        var patterns = new List<Regex>();
        foreach (var pattern in scope.Patterns)
        {
            Regex regex;
            try
            {
                // The linear-time engine: a pattern from a config file cannot hang the run by catastrophic backtracking.
                regex = new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking);
            }
            catch (ArgumentException e)
            {
                errors.Add($"ignored pattern '{pattern}' is not a valid regular expression: {e.Message}");
                continue;
            }
            catch (NotSupportedException)
            {
                errors.Add($"ignored pattern '{pattern}' uses a construct PtqSharp's linear-time regular expressions do not support (backreferences, lookarounds, atomic groups); rewrite it without");
                continue;
            }

            if (!nodeNames.Any(regex.IsMatch)) errors.Add($"ignored pattern '{pattern}' matches no node name{NearMatches(pattern, nodeNames)}");
            patterns.Add(regex);
        }

        foreach (var type in scope.Types.Where(t => !opTypes.Contains(t)))
        {
            errors.Add($"ignored type '{type}' matches no node; the model has {string.Join(", ", opTypes.Order())}");
        }

        foreach (var op in scope.Operations.Where(o => !graph.Node.Any(n => Matches(o, n))))
        {
            var attributes = string.Join(", ", op.Attributes.Select(a => $"{a.Key} = {a.Value}"));
            errors.Add(opTypes.Contains(op.Type)
                ? $"ignored operation '{op.Type}' with {attributes} matches no node"
                : $"ignored operation '{op.Type}' matches no node; the model has {string.Join(", ", opTypes.Order())}");
        }

        if (errors.Count > 0)
        {
            ThrowHelper.Throw("Ignored scope does not fit the model: " + string.Join("; ", errors) + ".");
        }

        return new IgnoredScopeMatcher(scope.Names.ToHashSet(), patterns.ToArray(), scope.Types.ToHashSet(), scope.Operations);
    }

    public bool IsIgnored(NodeProto node) =>
        _types.Contains(node.OpType) || _operations.Any(o => Matches(o, node))
        || (node.Name.Length > 0 && (_names.Contains(node.Name) || _patterns.Any(p => p.IsMatch(node.Name))));

    /// <summary>The op type matches and every listed attribute has the value: integers and strings as text, floats numerically.</summary>
    private static bool Matches(IgnoredOperation op, NodeProto node) =>
        node.OpType == op.Type && op.Attributes.All(a => node.Find(a.Key) is { } attribute && attribute.Type switch
        {
            AttributeProto.Types.AttributeType.Int => a.Value.Trim() == attribute.I.ToString(CultureInfo.InvariantCulture),
            AttributeProto.Types.AttributeType.Float => double.TryParse(a.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && Math.Abs(f - attribute.F) <= 1e-6 * Math.Max(1, Math.Abs(f)),
            AttributeProto.Types.AttributeType.String => a.Value == attribute.S.ToStringUtf8(),
            _ => false,
        });

    private static string NearMatches(string wanted, IReadOnlyList<string> names)
    {
        var near = names
            .Select(n => (Name: n, Distance: n.Contains(wanted, StringComparison.OrdinalIgnoreCase) || wanted.Contains(n, StringComparison.OrdinalIgnoreCase) ? 0 : Levenshtein(wanted, n)))
            .Where(x => x.Distance <= Math.Max(3, wanted.Length / 3))
            .OrderBy(x => x.Distance).ThenBy(x => x.Name, StringComparer.Ordinal)
            .Take(5)
            .Select(x => $"'{x.Name}'")
            .ToList();
        return near.Count > 0 ? $" (did you mean {string.Join(", ", near)}?)" : string.Empty;
    }

    private static int Levenshtein(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                cur[j] = Math.Min(Math.Min(cur[j - 1], prev[j]) + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (prev, cur) = (cur, prev);
        }

        return prev[b.Length];
    }
}
