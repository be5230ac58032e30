using System.CommandLine;
using PtqSharp.Hardware;
using PtqSharp.Quantization;
using Spectre.Console;

namespace PtqSharp.Cli.Commands;

/// <summary><c>ptq devices</c>: the target devices and a summary of each one's quantization rules.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var show = new Option<string?>("--show") { Description = "Print one device's rules as JSON, to start your own --hardware-config from." };
        var file = new Option<string?>("--hardware-config") { Description = "Check and summarize your own rules file instead of the built-in devices." };
        var command = new Command("devices", "List the target devices and their quantization rules: activations / weights each preset selects.") { show, file };
        command.SetAction(r => CommandRunner.Run("devices", () =>
        {
            if (r.GetValue(show) is { } name)
            {
                var rules = HardwareConfig.Json(TargetDeviceNames.Parse(name, "--show"));
                if (Terminal.Json) Terminal.Result(System.Text.Json.Nodes.JsonNode.Parse(rules)!);
                else AnsiConsole.Profile.Out.Writer.Write(rules);
                return ExitCodes.Success;
            }

            var configs = r.GetValue(file) is { } path
                ? [HardwareConfig.Load(path)]
                : HardwareConfig.Devices.Select(HardwareConfig.For).ToList();
            var table = new Table().Border(TableBorder.Rounded).AddColumns("device", "activations", "weights", "performance", "mixed", "accuracy");
            foreach (var c in configs)
            {
                table.AddRow([Markup.Escape(c.Name), Markup.Escape(string.Join("\n", c.Activations)), Markup.Escape(string.Join("\n", c.Weights)),
                    .. Enum.GetValues<QuantizationPreset>().Select(p => Markup.Escape(Describe(c, p)))]);
            }

            Terminal.Out.Write(table);
            foreach (var c in configs)
            {
                Terminal.Out.MarkupLine($"[bold]{Markup.Escape(c.Name)}[/] {Markup.Escape(c.Description)}");
                Terminal.Out.MarkupLine($"  quantized: {Markup.Escape(string.Join(", ", c.Operations.Keys))}; {(c.OverflowFix ? "overflow fix applies" : "no overflow fix")}");
                foreach (var note in Notes(c)) Terminal.Out.MarkupLine($"  {Markup.Escape(note)}");
            }

            Terminal.Result(new DevicesResult(configs.Select(c => new DeviceSummary(c.Name, c.Description,
                c.Activations.Select(q => q.ToString()).ToList(), c.Weights.Select(q => q.ToString()).ToList(),
                Enum.GetValues<QuantizationPreset>().ToDictionary(DataSources.Name,
                    p => new PresetSelection(c.ActivationQuantizer(p).ToString(), c.WeightQuantizer(p).ToString(), DataSources.Name(c.EffectivePreset(p)))),
                c.Operations.Keys.ToList(), c.OverflowFix)).ToList()));
            Terminal.Out.MarkupLine("VPU is an alias of NPU. [grey]ptq devices --show CPU[/] prints a device's rules as JSON; [grey]ptq quantize --hardware-config my.json[/] uses your own.");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static IEnumerable<string> Notes(HardwareConfig c)
    {
        foreach (var (op, rule) in c.Operations)
        {
            if (rule.Activations is { } a) yield return $"{op} activations: {string.Join(" | ", a)}";
            if (rule.Weights is { } w) yield return $"{op} weights: {string.Join(" | ", w)}";
            if (rule.Inputs is { } inputs && rule.ActivationsOnly && inputs.Count == 1) yield return $"{op}: only input {inputs[0]} quantized, the other reads float";
        }
    }

    /// <summary>What a preset selects on the device, e.g. "u8 asym / i8 sym", and what it amounts to when remapped.</summary>
    private static string Describe(HardwareConfig c, QuantizationPreset preset)
    {
        string Short(QuantizerConfig q) => $"{(q.Signed ? "i" : "u")}{q.Bits} {(q.Mode == QuantizationMode.Symmetric ? "sym" : "asym")}";
        var a = c.ActivationQuantizer(preset);
        var w = c.WeightQuantizer(preset);
        var effective = c.EffectivePreset(preset);
        return $"{Short(a)} / {Short(w)}{(effective != preset ? $"\n(as {DataSources.Name(effective)})" : "")}";
    }
}
