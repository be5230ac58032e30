using System.Collections.Concurrent;
using Onnx;

namespace PtqSharp.Onnx;

/// <summary>
/// A temporary folder for the weights of the working models a public call makes (the graph ONNX Runtime optimized
/// for quantization, with its weights as external data), so they stay on disk instead of in memory.
/// </summary>
/// <remarks>
/// <para>The entry points open one with <see cref="Enter"/>; stages deep down find it as <see cref="Current"/>.
/// When the call ends the folder is deleted, unless a result still refers to its files: then the result's
/// <see cref="OnnxModel"/> holds it (<see cref="Result"/>) and it is deleted once that model is collected, or when
/// the process exits.</para>
/// </remarks>
internal sealed class ScratchFolder
{
    // Weak: an execution context captured during the call (a timer, a thread started then) must not keep the folder,
    // and so its files, alive after the call; the scope and the results hold it strongly.
    private static readonly AsyncLocal<WeakReference<ScratchFolder>?> Ambient = new();
    private static readonly ConcurrentDictionary<string, byte> Live = new();
    private readonly Lazy<string> _path;
    private readonly object _dataLock = new();
    private string? _data;
    private int _files;
    private bool _handedOver;

    static ScratchFolder() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var path in Live.Keys) TempFolders.TryDelete(path);
    };

    private ScratchFolder() => _path = new Lazy<string>(() =>
    {
        var path = TempFolders.Create("ptq-weights-").FullName;
        Live[path] = 0;
        return path;
    });

    ~ScratchFolder() => Delete();

    /// <summary>The scratch folder of the call in progress, or null outside the entry points.</summary>
    public static ScratchFolder? Current => Ambient.Value is { } weak && weak.TryGetTarget(out var folder) ? folder : null;

    /// <summary>Opens a scratch folder for the call until the scope is disposed (an enclosing call's folder is reused).</summary>
    public static Scope Enter()
    {
        if (Current is { } outer) return new Scope(outer, owns: false);
        var folder = new ScratchFolder();
        Ambient.Value = new WeakReference<ScratchFolder>(folder);
        return new Scope(folder, owns: true);
    }

    /// <summary>
    /// Moves a new weight of the call in progress out of memory: with a scratch folder in force, a tensor of
    /// <see cref="OnnxModelIO.ExternalDataThreshold"/> bytes or more is appended to the folder's data file and becomes
    /// a reference to it; otherwise (or when small) it is returned as it is. Stages that write weights (rewrites,
    /// smoothing, quantized and compressed weights) pass them through here, so a large model's working copies stay on disk.
    /// </summary>
    public static TensorProto Offload(TensorProto tensor) => Current?.Append(tensor) ?? tensor;

    private TensorProto Append(TensorProto tensor)
    {
        if (ExternalData.IsExternal(tensor) || tensor.RawData.Length < OnnxModelIO.ExternalDataThreshold) return tensor;
        lock (_dataLock)
        {
            _data ??= NewPath("weights.data");
            using var stream = new FileStream(_data, FileMode.Append, FileAccess.Write, FileShare.Read);
            long offset = ExternalData.AlignedOffset(stream.Position), length = tensor.RawData.Length;
            stream.Write(new byte[offset - stream.Position]);
            tensor.RawData.WriteTo(stream);
            ExternalData.Point(tensor, _data, offset, length);
        }

        return tensor;
    }

    /// <summary>The folder's path, or null before anything was written there.</summary>
    public string? Location => _path.IsValueCreated ? _path.Value : null;

    /// <summary>A new, unused path in the folder (created on first use).</summary>
    public string NewPath(string name) => Path.Combine(_path.Value, $"{Interlocked.Increment(ref _files)}-{name}");

    private bool Refers(ModelProto model) =>
        _path.IsValueCreated && ExternalData.Folders(model).Any(f => FilePaths.IsWithin(f, _path.Value));

    /// <summary>A result of the call in progress: it keeps the call's folder alive if its weights live there.</summary>
    public static OnnxModel Result(ModelProto model) => Current?.HandOver(new OnnxModel(model)) ?? new OnnxModel(model);

    private OnnxModel HandOver(OnnxModel model)
    {
        if (Refers(model.Proto))
        {
            model.Scratch = this;
            _handedOver = true;
        }

        return model;
    }

    private void Delete()
    {
        if (!_path.IsValueCreated) return;
        TempFolders.TryDelete(_path.Value);
        Live.TryRemove(_path.Value, out _);
    }

    /// <summary>Ends the call's use of the folder: deletes it unless a result was handed it.</summary>
    public sealed class Scope(ScratchFolder folder, bool owns) : IDisposable
    {
        public void Dispose()
        {
            if (!owns) return;
            Ambient.Value = null;
            if (folder._handedOver) return;
            folder.Delete();
            GC.SuppressFinalize(folder);
        }
    }
}
