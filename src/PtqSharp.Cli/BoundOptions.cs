using System.CommandLine;
using PtqSharp.Cli.Config;

namespace PtqSharp.Cli;

/// <summary>Some rows of <see cref="QuantizeOptions"/> as options of a command, applied to settings when given.</summary>
internal sealed class BoundOptions
{
    private readonly List<(Setting Row, Option Option)> _options;

    /// <param name="flags">The rows' flags.</param>
    /// <param name="help">Help that differs for this command, by flag.</param>
    public BoundOptions(IEnumerable<string> flags, IReadOnlyDictionary<string, string>? help = null) =>
        _options = flags.Select(QuantizeOptions.ByFlag).Select(row => (row, row.CreateOption(help?.GetValueOrDefault(row.Flag!)))).ToList();

    public void AddTo(Command command)
    {
        foreach (var (_, option) in _options) command.Options.Add(option);
    }

    /// <summary>The settings with every option given on the command line applied.</summary>
    public QuantizeSettings Apply(ParseResult result, QuantizeSettings settings) =>
        _options.Aggregate(settings, (s, o) => o.Row.FromCommandLine(result, o.Option, s));
}
