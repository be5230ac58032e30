namespace PtqSharp.Execution;

/// <summary>
/// The <see cref="RuntimeOptions"/> of the public call in progress, for the sessions it creates however deep
/// down: set by the entry points from their options, flowing to the threads and tasks the call starts.
/// </summary>
internal static class RuntimeScope
{
    private static readonly AsyncLocal<RuntimeOptions?> Current = new();

    /// <summary>What sessions created now use: the call's options, else <see cref="RuntimeOptions.Default"/>.</summary>
    public static RuntimeOptions Options => Current.Value ?? RuntimeOptions.Default;

    /// <summary>Uses <paramref name="options"/> until the returned scope is disposed; null keeps what is in force.</summary>
    public static IDisposable Enter(RuntimeOptions? options)
    {
        var previous = Current.Value;
        if (options is not null) Current.Value = options;
        return new Exit(previous);
    }

    private sealed class Exit(RuntimeOptions? previous) : IDisposable
    {
        public void Dispose() => Current.Value = previous;
    }
}
