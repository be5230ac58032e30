using System.Runtime.ExceptionServices;

namespace PtqSharp.Execution;

/// <summary>
/// Parallel.For that fails the way sequential code does: with the first error itself (a bad sample's
/// message naming its file, say) rather than an AggregateException around it.
/// </summary>
internal static class ParallelRunner
{
    public static void For(int count, int parallelism, CancellationToken ct, Action<int> body)
    {
        try
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = ct }, body);
        }
        catch (AggregateException e)
        {
            var flat = e.Flatten().InnerExceptions;
            var first = flat.FirstOrDefault(x => x is PtqException) ?? flat.FirstOrDefault(x => x is OperationCanceledException) ?? flat[0];
            ExceptionDispatchInfo.Capture(first).Throw();
        }
    }
}
