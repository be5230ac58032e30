namespace PtqSharp.Cli.Config;

/// <summary>Reading one config file: where relative paths start, and the warnings for keys that are accepted but not honoured.</summary>
internal sealed class ConfigContext(string file)
{
    private readonly List<string> _warnings = new();

    public string File => file;

    public string BaseDirectory { get; } = Path.GetDirectoryName(Path.GetFullPath(file))!;

    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>"Config file 'x.json': compression.target_device", the prefix of every message about a key.</summary>
    public string Key(string path) => $"Config file '{file}': {path}";

    public string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(BaseDirectory, path));

    /// <summary>Records a warning once, naming the key.</summary>
    public void Warn(string path, string message)
    {
        var text = $"{Key(path)} {message}";
        if (!_warnings.Contains(text)) _warnings.Add(text);
    }

    public T Fail<T>(string path, string problem) => throw new PtqException($"{Key(path)} {problem}.");
}
