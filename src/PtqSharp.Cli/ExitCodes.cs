namespace PtqSharp.Cli;

/// <summary>Process exit codes: scripts can tell a usage error from bad input from a crash.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The command line itself is wrong (unknown option, missing value): System.CommandLine's own code.</summary>
    public const int UsageError = 1;

    /// <summary>Bad model, data or options: the message says what to fix.</summary>
    public const int InputError = 2;

    /// <summary>An unexpected failure: a bug to report.</summary>
    public const int InternalError = 3;

    /// <summary>Accuracy-aware quantization could not meet --max-drop; the best model found was still written.</summary>
    public const int AccuracyNotMet = 4;

    /// <summary>Latency-aware quantization found no INT8 model faster than FP32 on this machine; nothing was written (see --allow-float-model).</summary>
    public const int NotFaster = 5;

    /// <summary>A file could not be read or written (permissions, a full disk): the message names it.</summary>
    public const int FileError = 6;

    /// <summary>Ctrl-C or SIGTERM: the run stopped between samples and wrote nothing (128 + SIGINT, as shells report).</summary>
    public const int Cancelled = 130;
}
