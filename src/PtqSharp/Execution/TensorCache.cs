using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using PtqSharp.Data;

namespace PtqSharp.Execution;

/// <summary>
/// Runs the pieces of one model over the same samples in turn, keeping per sample the tensors one piece hands to a
/// later one, in ONNX Runtime's memory: a piece's inputs come from here, or from the samples for the model's own graph
/// inputs. What it holds is counted in <see cref="Bytes"/> and capped: a run that would hold more stops with an error.
/// </summary>
internal sealed class TensorCache : IDisposable
{
    private readonly Dataset _data;
    private readonly IReadOnlyList<int> _samples;
    private readonly int _batchSize;
    private readonly long _limit;
    private readonly Dictionary<string, (OrtValue[] Values, int ElementType, long Bytes)> _tensors = new(StringComparer.Ordinal);

    /// <param name="data">Where the samples come from.</param>
    /// <param name="samples">The samples, by index into <paramref name="data"/>.</param>
    /// <param name="batchSize">Samples per run.</param>
    /// <param name="limit">Bytes the cache may hold.</param>
    public TensorCache(Dataset data, IReadOnlyList<int> samples, int batchSize, long limit)
    {
        _limit = limit;
        _data = data;
        _samples = samples;
        _batchSize = Math.Max(1, batchSize);
    }

    /// <summary>Bytes of tensor data held.</summary>
    public long Bytes { get; private set; }

    /// <summary>The ONNX element type of a held tensor.</summary>
    public int ElementType(string tensor) => _tensors[tensor].ElementType;

    /// <summary>
    /// Runs <paramref name="piece"/> on every batch of the samples: each input held here is fed from here, any other
    /// from the sample; the outputs in <paramref name="keep"/> are held for later pieces and those in
    /// <paramref name="observe"/> (float) handed to <paramref name="visit"/>, batch by batch in sample order.
    /// </summary>
    public void Run(ModelProto piece, IReadOnlyList<string> keep, IReadOnlyList<string> observe, OutputVisitor visit)
    {
        using var session = SessionFactory.Create(piece, ExecutionSettings.Default);
        using var runOptions = new RunOptions();
        var feeder = new SampleFeeder(session);
        var inputNames = session.InputMetadata.Keys.ToList();
        var outputNames = observe.Concat(keep).ToList();
        int runs = SampleBatcher.Count(_samples.Count, _batchSize);
        var kept = keep.Select(_ => new OrtValue[runs]).ToList();
        long total = Bytes;
        try
        {
            for (int b = 0; b < runs; b++)
            {
                Sample? sample = null;
                var fed = new List<OrtValue>();
                var inputs = inputNames.Select(name =>
                {
                    if (_tensors.TryGetValue(name, out var held)) return held.Values[b];
                    sample ??= SampleBatcher.Batch(_data, _samples, _batchSize, b).Batch;
                    var value = feeder.Feed(sample, name);
                    fed.Add(value);
                    return value;
                }).ToList();
                try
                {
                    using var values = session.Run(runOptions, inputNames, inputs, outputNames);
                    for (int k = 0; k < observe.Count; k++)
                    {
                        if (values[k].GetTensorTypeAndShape().ElementDataType != TensorElementType.Float) ThrowHelper.Throw($"Output '{observe[k]}' is not float32; only float tensors can be observed.");
                        visit(k, values[k].GetTensorDataAsSpan<float>());
                    }

                    for (int k = 0; k < keep.Count; k++)
                    {
                        kept[k][b] = Copy(values[observe.Count + k], keep[k]);
                        total += kept[k][b].GetTensorSizeInBytes();
                    }

                    if (total > _limit) ThrowHelper.Throw($"Kept tensors would exceed the cap of {_limit:N0} bytes.");
                }
                catch (OnnxRuntimeException e)
                {
                    ThrowHelper.Throw($"ONNX Runtime failed on a piece of the model (batch {b}): {e.Message}", e);
                }
                finally
                {
                    foreach (var v in fed) v.Dispose();
                }
            }
        }
        catch
        {
            foreach (var value in kept.SelectMany(v => v)) value?.Dispose();
            throw;
        }

        for (int k = 0; k < keep.Count; k++)
        {
            Drop(keep[k]);
            var info = kept[k][0].GetTensorTypeAndShape();
            long bytes = kept[k].Sum(v => v.GetTensorSizeInBytes());
            _tensors[keep[k]] = (kept[k], (int)info.ElementDataType, bytes);
            Bytes += bytes;
        }
    }

    /// <summary>Frees a held tensor (nothing if it is not held).</summary>
    public void Drop(string tensor)
    {
        if (!_tensors.Remove(tensor, out var held)) return;
        foreach (var v in held.Values) v.Dispose();
        Bytes -= held.Bytes;
    }

    /// <summary>The names of the held tensors.</summary>
    public IReadOnlyCollection<string> Held => _tensors.Keys;

    // The run's outputs die with its result collection; a kept one is copied into memory of its own.
    private static OrtValue Copy(OrtValue value, string name)
    {
        var info = value.GetTensorTypeAndShape();
        var shape = info.Shape;
        return info.ElementDataType switch
        {
            TensorElementType.Float => OrtValue.CreateTensorValueFromMemory(value.GetTensorDataAsSpan<float>().ToArray(), shape),
            TensorElementType.UInt8 => OrtValue.CreateTensorValueFromMemory(value.GetTensorDataAsSpan<byte>().ToArray(), shape),
            TensorElementType.Int8 => OrtValue.CreateTensorValueFromMemory(value.GetTensorDataAsSpan<sbyte>().ToArray(), shape),
            TensorElementType.Int16 => OrtValue.CreateTensorValueFromMemory(value.GetTensorDataAsSpan<short>().ToArray(), shape),
            TensorElementType.UInt16 => OrtValue.CreateTensorValueFromMemory(value.GetTensorDataAsSpan<ushort>().ToArray(), shape),
            TensorElementType.Int32 => OrtValue.CreateTensorValueFromMemory(value.GetTensorDataAsSpan<int>().ToArray(), shape),
            TensorElementType.Int64 => OrtValue.CreateTensorValueFromMemory(value.GetTensorDataAsSpan<long>().ToArray(), shape),
            TensorElementType.Double => OrtValue.CreateTensorValueFromMemory(value.GetTensorDataAsSpan<double>().ToArray(), shape),
            TensorElementType.Bool => OrtValue.CreateTensorValueFromMemory(value.GetTensorDataAsSpan<bool>().ToArray(), shape),
            TensorElementType.Float16 => OrtValue.CreateTensorValueFromMemory(value.GetTensorDataAsSpan<Float16>().ToArray(), shape),
            var t => ThrowHelper.Throw<OrtValue>($"Tensor '{name}' has element type {t}, which a piecewise pass cannot hold."),
        };
    }

    public void Dispose()
    {
        foreach (var name in _tensors.Keys.ToList()) Drop(name);
    }
}
