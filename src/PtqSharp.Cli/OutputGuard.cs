using PtqSharp.Onnx;
using Spectre.Console;

namespace PtqSharp.Cli;

/// <summary>
/// Every file a command writes is checked against every file and folder it reads, before any work:
/// paths are compared where they really lead (full path, links followed, parent folder links too), so
/// no output, companion files included, can replace an input or land in a data folder. The output
/// folder must also be writable. Hard links need no check: every output is written to a temporary file
/// renamed over the target, so a target that is a hard link to an input gets a new file and the input keeps its bytes.
/// </summary>
internal static class OutputGuard
{
    /// <summary>
    /// The external data file beside an ONNX output, to check with the outputs whether or not --external-data was given:
    /// a model over 2 GB gets one either way.
    /// </summary>
    public static (string What, string Path) ExternalDataFileOf(string outputPath) => ("the external data file", OnnxModelIO.DataFilePath(outputPath));

    /// <summary>After saving: says where the weights of a model over 2 GB went when --external-data was not given.</summary>
    public static void NoteExternalData(OnnxModel saved, string outputPath, bool asked)
    {
        if (asked || !saved.RequiresExternalData) return;
        Terminal.Note($"The model is over 2 GB, more than one ONNX file holds: its weights are in [bold]{Markup.Escape(OnnxModelIO.DataFilePath(outputPath))}[/], which must stay beside it.");
    }

    /// <param name="outputs">Each file to be written, with the option or rule that named it.</param>
    /// <param name="inputs">Each file or folder read, with its option; null paths are skipped.</param>
    public static void Check(IEnumerable<(string What, string Path)> outputs, IEnumerable<(string What, string? Path)> inputs)
    {
        var read = inputs.Where(i => i.Path is not null).Select(i => (i.What, Real: FilePaths.Real(i.Path!), IsFolder: Directory.Exists(i.Path))).ToList();
        var writable = new HashSet<string>(StringComparer.Ordinal); // companions share a folder: probe it once
        foreach (var (what, path) in outputs)
        {
            var real = FilePaths.Real(path);
            foreach (var input in read)
            {
                bool same = string.Equals(real, input.Real, FilePaths.Comparison);
                bool inside = input.IsFolder && !same && FilePaths.IsWithin(real, input.Real);
                if (same || inside)
                {
                    throw new PtqException($"{what} '{path}' {(same ? "is" : "is inside")} {input.What} ('{input.Real}'): choose another path so the input is kept.");
                }
            }

            if (writable.Add(Path.GetDirectoryName(Path.GetFullPath(path))!)) ThrowIfNotWritable(what, path);
        }
    }

    private static void ThrowIfNotWritable(string what, string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var existing = folder;
        while (!Directory.Exists(existing)) existing = Path.GetDirectoryName(existing) ?? throw new PtqException($"{what} '{path}': no folder of it exists.");
        var probe = Path.Combine(existing, $".ptq-write-check-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PtqException($"{what} '{path}': folder '{existing}' cannot be written ({e.Message}); choose a writable folder.", e);
        }
    }
}
