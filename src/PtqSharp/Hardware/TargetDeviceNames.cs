namespace PtqSharp.Hardware;

/// <summary>POT's device names (ANY, CPU, GPU, NPU, VPU, GNA, GNA3, CPU_SPR) to and from <see cref="TargetDevice"/>.</summary>
public static class TargetDeviceNames
{
    private static readonly (string Name, TargetDevice Device)[] Names =
    [
        ("ANY", TargetDevice.Any), ("CPU", TargetDevice.Cpu), ("GPU", TargetDevice.Gpu), ("NPU", TargetDevice.Npu), ("VPU", TargetDevice.Vpu),
        ("GNA", TargetDevice.Gna), ("GNA3", TargetDevice.Gna3), ("CPU_SPR", TargetDevice.CpuSpr),
    ];

    /// <summary>Every POT device name.</summary>
    public static IEnumerable<string> All => Names.Select(n => n.Name);

    /// <summary>POT's name of <paramref name="device"/>, e.g. "CPU_SPR".</summary>
    public static string Name(TargetDevice device) => Names.First(n => n.Device == device).Name;

    /// <summary>Case-insensitive; '-' is accepted for '_' (cpu-spr).</summary>
    public static bool TryParse(string text, out TargetDevice device)
    {
        var key = text.Trim().Replace('-', '_').ToUpperInvariant();
        foreach (var (name, d) in Names)
        {
            if (name == key)
            {
                device = d;
                return true;
            }
        }

        device = default;
        return false;
    }

    /// <summary>Parses a POT device name; <paramref name="what"/> names the option in the error.</summary>
    public static TargetDevice Parse(string text, string what) =>
        TryParse(text, out var device) ? device : ThrowHelper.Throw<TargetDevice>($"{what} '{text}' is not one of: {string.Join(", ", All)}.");
}
