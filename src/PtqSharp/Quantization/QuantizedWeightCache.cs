using System.Collections.Concurrent;
using Onnx;
using PtqSharp.Onnx;

namespace PtqSharp.Quantization;

/// <summary>
/// The integer weights of a calibrated model, quantized once and shared by every model built from it (latency-aware
/// variants, accuracy control's variants, the result). Inside a call with a <see cref="ScratchFolder"/> they are
/// written to a data file there as they are made, and the models refer to them as external data: no model built holds
/// its weights in memory, and ONNX Runtime reads them from the file.
/// </summary>
/// <remarks>Thread-safe: accuracy control builds variants in parallel.</remarks>
internal sealed class QuantizedWeightCache
{
    // Keyed by the float initializer's name (unique in the calibrated graph) and the parameters object: a protobuf
    // message as a key would hash its whole payload.
    private readonly ConcurrentDictionary<(string, QuantizationParameters), Lazy<TensorProto>> _tensors = new(new KeyComparer());

    /// <summary>
    /// The quantized form of <paramref name="weight"/> under <paramref name="parameters"/>, named <paramref name="name"/>:
    /// made by <paramref name="quantize"/> the first time, a copy of the same reference (or bytes) after that.
    /// </summary>
    public TensorProto Get(TensorProto weight, QuantizationParameters parameters, string name, Func<TensorProto> quantize)
    {
        var stored = _tensors.GetOrAdd((weight.Name, parameters), _ => new Lazy<TensorProto>(() => ScratchFolder.Offload(quantize()))).Value;
        var copy = stored.Clone(); // raw bytes are shared, not copied
        copy.Name = name;
        return copy;
    }

    /// <summary>Parameters compare by reference: each preset's are made once, and their arrays would compare by reference anyway.</summary>
    private sealed class KeyComparer : IEqualityComparer<(string Name, QuantizationParameters Parameters)>
    {
        public bool Equals((string Name, QuantizationParameters Parameters) x, (string Name, QuantizationParameters Parameters) y) =>
            x.Name == y.Name && ReferenceEquals(x.Parameters, y.Parameters);

        public int GetHashCode((string Name, QuantizationParameters Parameters) key) =>
            HashCode.Combine(key.Name, System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(key.Parameters));
    }
}
