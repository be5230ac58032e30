using PtqSharp.Quantization;
using Spectre.Console;

namespace PtqSharp.Cli;

/// <summary>Shows library progress as Spectre.Console progress bars, one per stage.</summary>
internal sealed class SpectreProgress(ProgressContext? context) : IProgress<QuantizationProgress>
{
    private readonly Dictionary<string, ProgressTask> _tasks = new();
    private ProgressTask? _current;

    private readonly Lock _lock = new();

    /// <remarks>Thread-safe: accuracy control reports from parallel workers.</remarks>
    public void Report(QuantizationProgress value)
    {
        lock (_lock) Update(value);
    }

    private void Update(QuantizationProgress value)
    {
        if (context is null) return;
        if (!_tasks.TryGetValue(value.Stage, out var task))
        {
            if (_current is { IsFinished: false }) _current.Value = _current.MaxValue;
            task = context.AddTask(Markup.Escape(value.Stage), maxValue: Math.Max(1, value.Total));
            _tasks[value.Stage] = task;
            _current = task;
        }

        task.MaxValue = Math.Max(1, value.Total);
        task.Value = Math.Max(task.Value, value.Done); // parallel workers may report out of order
    }

    public void Finish()
    {
        foreach (var task in _tasks.Values) task.Value = task.MaxValue;
    }

    /// <summary>Runs <paramref name="body"/> under a progress display on stderr that ends with all bars full (none when quiet or JSON).</summary>
    public static T Run<T>(Func<SpectreProgress, T> body) =>
        Terminal.Quiet || Terminal.Json ? body(new SpectreProgress(null)) : Terminal.Errors.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var progress = new SpectreProgress(ctx);
                var result = body(progress);
                progress.Finish();
                return result;
            });
}
