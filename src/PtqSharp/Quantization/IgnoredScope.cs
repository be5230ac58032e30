namespace PtqSharp.Quantization;

/// <summary>Nodes that stay in float: by exact name, by regular expression over names, or by op type.</summary>
public sealed record IgnoredScope
{
    /// <summary>Nothing ignored.</summary>
    public static readonly IgnoredScope Empty = new();

    /// <summary>Exact node names.</summary>
    public IReadOnlyList<string> Names { get; init; } = [];

    /// <summary>.NET regular expressions matched against the whole node name.</summary>
    public IReadOnlyList<string> Patterns { get; init; } = [];

    /// <summary>Op types, e.g. "Softmax".</summary>
    public IReadOnlyList<string> Types { get; init; } = [];

    /// <summary>Op types restricted to nodes with given attribute values, e.g. Conv with group 32.</summary>
    public IReadOnlyList<IgnoredOperation> Operations { get; init; } = [];

    /// <summary>True when nothing is ignored.</summary>
    public bool IsEmpty => Names.Count == 0 && Patterns.Count == 0 && Types.Count == 0 && Operations.Count == 0;
}
