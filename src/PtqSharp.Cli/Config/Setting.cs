using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PtqSharp.Cli.Config;

/// <summary>Where a setting lives in POT's config file.</summary>
internal enum ConfigSection
{
    /// <summary>Command line only.</summary>
    None,
    Model,
    Engine,
    Compression,

    /// <summary>The params of DefaultQuantization and of AccuracyAwareQuantization, which takes them too.</summary>
    Params,

    /// <summary>The params only AccuracyAwareQuantization takes.</summary>
    AccuracyParams,
}

/// <summary>
/// One row of <see cref="QuantizeOptions"/>: a setting of <c>ptq quantize</c> with its flag, its key in
/// POT's config file, its type (which parses, checks and prints it), its help and default. The command
/// line, the config reader and <c>--print-config</c> are all driven by these rows.
/// </summary>
internal abstract class Setting
{
    /// <summary>The command-line flag, e.g. "--subset-size"; null for config-only keys.</summary>
    public string? Flag { get; init; }

    public string[] Aliases { get; init; } = [];

    public ConfigSection Section { get; init; }

    /// <summary>The key within its section, dotted for nested objects, e.g. "range_estimator.activations.type"; null for command-line-only options.</summary>
    public string? Key { get; init; }

    public required string Help { get; init; }

    /// <summary>Shown by --print-config. False for POT's aliases of a key printed under PtqSharp's name, and for keys read but not used.</summary>
    public bool Printed { get; init; } = true;

    /// <summary>The option for a command; <paramref name="help"/> replaces the row's help where a command reads the value differently.</summary>
    public abstract Option CreateOption(string? help = null);

    /// <summary>Applies the option's value when it was given on the command line.</summary>
    public abstract QuantizeSettings FromCommandLine(ParseResult result, Option option, QuantizeSettings settings);

    public abstract QuantizeSettings FromJson(JsonElement value, ConfigContext context, string path, QuantizeSettings settings);

    public abstract JsonNode? ToJson(QuantizeSettings settings);

    /// <summary>Whether the option was typed on the command line rather than left at its default.</summary>
    public static bool Given(ParseResult result, Option option) => result.GetResult(option) is { Implicit: false };
}

/// <summary>A setting whose value is a <typeparamref name="T"/> in <see cref="QuantizeSettings"/>.</summary>
internal sealed class Setting<T> : Setting
{
    public required SettingType<T> Type { get; init; }

    public required Func<QuantizeSettings, T> Get { get; init; }

    public required Func<QuantizeSettings, T, QuantizeSettings> Set { get; init; }

    public override Option CreateOption(string? help = null)
    {
        var name = Flag ?? throw new InvalidOperationException($"Config key '{Key}' has no command-line flag.");
        var description = help ?? Help;
        if (Type.IsFlag) return new Option<bool>(name, Aliases) { Description = description };
        if (Type.FromTexts is not null) return new Option<string[]>(name, Aliases) { Description = description, AllowMultipleArgumentsPerToken = true, HelpName = Type.HelpName };
        var option = new Option<string>(name, Aliases) { Description = description, HelpName = Type.HelpName };
        if (Type.ToText(Get(new QuantizeSettings())) is { } text) option.DefaultValueFactory = _ => text;
        return option;
    }

    public override QuantizeSettings FromCommandLine(ParseResult result, Option option, QuantizeSettings settings)
    {
        if (!Given(result, option)) return settings;
        object? raw = option switch
        {
            Option<bool> b => result.GetValue(b),
            Option<string[]> list => result.GetValue(list) ?? [],
            Option<string> text => result.GetValue(text),
            _ => throw new InvalidOperationException($"Unexpected option type for {Flag}."),
        };
        T value = raw switch
        {
            string[] items => Type.FromTexts!(items, Flag!),
            string text => Type.FromText(text, Flag!),
            T typed => typed,
            _ => throw new InvalidOperationException($"Unexpected value for {Flag}."),
        };
        return Set(settings, value);
    }

    public override QuantizeSettings FromJson(JsonElement value, ConfigContext context, string path, QuantizeSettings settings) =>
        Set(settings, Type.FromJson(value, Get(settings), context, path));

    public override JsonNode? ToJson(QuantizeSettings settings) => Type.ToJson(Get(settings));
}
