namespace PtqSharp;

/// <summary>Model and file sizes as reports print them.</summary>
internal static class ByteSize
{
    /// <summary>"45.7 KiB", "86.7 MiB".</summary>
    public static string Format(long bytes) => bytes >= 1 << 20 ? $"{bytes / (double)(1 << 20):0.0} MiB" : $"{bytes / 1024.0:0.0} KiB";
}
