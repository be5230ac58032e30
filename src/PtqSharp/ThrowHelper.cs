using System.Diagnostics.CodeAnalysis;

namespace PtqSharp;

/// <summary>Keeps throw sites small so the hot paths around them stay inlinable.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Throw(string message) => throw new PtqException(message);

    [DoesNotReturn]
    public static T Throw<T>(string message) => throw new PtqException(message);

    [DoesNotReturn]
    public static void Throw(string message, Exception inner) => throw new PtqException(message, inner);
}
