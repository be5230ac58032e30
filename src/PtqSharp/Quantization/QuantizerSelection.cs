using PtqSharp.Hardware;

namespace PtqSharp.Quantization;

/// <summary>Picks, for a preset, one of the quantizer configurations a device allows.</summary>
internal static class QuantizerSelection
{
    /// <summary>
    /// The preset's mode if allowed (activations: symmetric for performance, asymmetric otherwise;
    /// weights: asymmetric only for accuracy), else whatever is allowed; then the fewest bits for
    /// performance and the most for mixed and accuracy; ties go to the earlier entry.
    /// </summary>
    public static QuantizerConfig Choose(IReadOnlyList<QuantizerConfig> allowed, QuantizationPreset preset, bool weights, QuantizerConstraints? constraints = null)
    {
        if (constraints is { IsEmpty: false })
        {
            // The user's requirements come first: the preset chooses among what meets them. Where an
            // op's own rule allows none of them, the op's rule wins (CheckConstraints has made sure the
            // device as a whole can meet them).
            var meeting = allowed.Where(constraints.Allows).ToList();
            if (meeting.Count > 0) allowed = meeting;
        }

        var mode = weights
            ? (preset == QuantizationPreset.Accuracy ? QuantizationMode.Asymmetric : QuantizationMode.Symmetric)
            : (preset == QuantizationPreset.Performance ? QuantizationMode.Symmetric : QuantizationMode.Asymmetric);
        var candidates = allowed.Where(c => c.Mode == mode).ToList();
        if (candidates.Count == 0) candidates = allowed.ToList();
        int bits = preset == QuantizationPreset.Performance ? candidates.Min(c => c.Bits) : candidates.Max(c => c.Bits);
        return candidates.First(c => c.Bits == bits);
    }

    /// <summary>Throws when the device's rules allow no quantizer that meets the options' requirements.</summary>
    public static void CheckConstraints(HardwareConfig rules, QuantizerConstraints activations, QuantizerConstraints weights)
    {
        foreach (var (what, allowed, constraints) in new[] { ("activation", rules.Activations, activations), ("weight", rules.Weights, weights) })
        {
            if (!constraints.IsEmpty && !allowed.Any(constraints.Allows))
            {
                ThrowHelper.Throw($"The {rules.Name} rules allow {what} quantizers {string.Join(" | ", allowed)}; none is {constraints}. Require one of those, or choose another target device.");
            }
        }
    }

    /// <summary>Configurations every list allows; when they share none, the first list's (the consumer's needs win).</summary>
    public static IReadOnlyList<QuantizerConfig> Intersect(IReadOnlyList<IReadOnlyList<QuantizerConfig>> lists)
    {
        if (lists.Count == 0) return [];
        var common = lists.Skip(1).Aggregate((IEnumerable<QuantizerConfig>)lists[0], (acc, l) => acc.Intersect(l)).ToList();
        return common.Count > 0 ? common : lists[0];
    }

    /// <summary>
    /// What a preset amounts to on a device, judged by its default activation and weight quantizers:
    /// e.g. accuracy is mixed on CPU, and every preset is performance on GNA.
    /// </summary>
    public static QuantizationPreset Effective(HardwareConfig rules, QuantizationPreset preset, QuantizerConstraints? activations = null, QuantizerConstraints? weights = null)
    {
        bool asymActivations = Choose(rules.Activations, preset, weights: false, activations).Mode == QuantizationMode.Asymmetric;
        bool asymWeights = Choose(rules.Weights, preset, weights: true, weights).Mode == QuantizationMode.Asymmetric;
        return asymWeights ? QuantizationPreset.Accuracy : asymActivations ? QuantizationPreset.Mixed : QuantizationPreset.Performance;
    }
}
