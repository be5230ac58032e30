using System.Diagnostics;
using PtqSharp.Data;
using PtqSharp.Onnx;

namespace PtqSharp.Tests.Data;

/// <summary>Data folders and model paths from elsewhere: links that loop, empty files, FIFOs.</summary>
public class DataFilesTests
{
    [Fact]
    public void Linked_folders_are_walked_once_so_a_loop_neither_hangs_nor_repeats_samples()
    {
        var root = TestPaths.NewTempDir();
        var sub = Directory.CreateDirectory(Path.Combine(root, "sub")).FullName;
        File.WriteAllBytes(Path.Combine(sub, "a.npy"), [1]);
        File.WriteAllBytes(Path.Combine(root, "b.npy"), [1]);
        File.WriteAllBytes(Path.Combine(root, "notes.txt"), [1]);
        Directory.CreateSymbolicLink(Path.Combine(sub, "loop"), root); // back to the top
        Directory.CreateSymbolicLink(Path.Combine(root, "again"), sub); // a second way into sub

        var files = DataFiles.Enumerate(root, n => n.EndsWith(".npy", StringComparison.Ordinal));
        Assert.Equal(2, files.Count);
        Assert.Equal(["a.npy", "b.npy"], files.Select(Path.GetFileName).Order());
    }

    [Fact]
    public void An_empty_data_file_is_named()
    {
        var root = TestPaths.NewTempDir();
        File.WriteAllBytes(Path.Combine(root, "a.npy"), []);
        var e = Assert.Throws<PtqException>(() => new NumpyFolderDataset(root));
        Assert.Contains("a.npy' is empty, or not a regular file", e.Message);
    }

    [Fact]
    public void A_fifo_as_the_model_is_refused_without_blocking()
    {
        if (OperatingSystem.IsWindows()) return; // no FIFOs there
        var fifo = Path.Combine(TestPaths.NewTempDir(), "model.onnx");
        using (var mkfifo = Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        var e = Assert.Throws<PtqException>(() => OnnxModel.Load(fifo));
        Assert.Contains("not a regular file (a FIFO or device)", e.Message);
    }
}
