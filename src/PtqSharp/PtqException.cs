namespace PtqSharp;

/// <summary>
/// A failure the user can act on: bad model, bad data, bad options. The message names the file,
/// node or tensor involved and says what to do about it.
/// </summary>
public class PtqException : Exception
{
    /// <summary>A failure the message explains.</summary>
    public PtqException(string message) : base(message) { }

    /// <summary>A failure with the exception that caused it.</summary>
    public PtqException(string message, Exception inner) : base(message, inner) { }
}
