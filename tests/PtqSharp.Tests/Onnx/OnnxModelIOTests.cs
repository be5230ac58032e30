using Google.Protobuf;
using PtqSharp.Onnx;

namespace PtqSharp.Tests.Onnx;

public class OnnxModelIOTests
{
    [Fact]
    public void A_file_that_is_not_onnx_is_a_clear_error()
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "notes.onnx");
        File.WriteAllText(path, "this is not a model");
        var e = Assert.Throws<PtqException>(() => OnnxModelIO.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("not a valid ONNX model", e.Message);
    }

    [Fact]
    public void A_truncated_model_is_a_clear_error()
    {
        var dir = TestPaths.NewTempDir();
        var bytes = File.ReadAllBytes(TestPaths.SampleModel);
        var path = Path.Combine(dir, "cut.onnx");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<PtqException>(() => OnnxModelIO.Load(path));
        Assert.Contains("cut.onnx", e.Message);
    }

    [Fact]
    public void A_missing_model_names_the_path()
    {
        var e = Assert.Throws<PtqException>(() => OnnxModelIO.Load("/no/such/model.onnx"));
        Assert.Contains("/no/such/model.onnx", e.Message);
    }

    [Fact]
    public void External_data_initializers_stay_on_disk_until_read_and_read_the_same()
    {
        var dir = TestPaths.NewTempDir();
        var model = OnnxModelIO.Load(TestPaths.SampleModel);
        var tensor = model.Graph.Initializer.First(t => t.RawData.Length > 1000);
        var expected = tensor.RawData;
        File.WriteAllBytes(Path.Combine(dir, "weights.bin"), [.. new byte[16], .. expected.ToByteArray()]);
        tensor.RawData = ByteString.Empty;
        tensor.DataLocation = global::Onnx.TensorProto.Types.DataLocation.External;
        tensor.ExternalData.Add(new global::Onnx.StringStringEntryProto { Key = "location", Value = "weights.bin" });
        tensor.ExternalData.Add(new global::Onnx.StringStringEntryProto { Key = "offset", Value = "16" });
        tensor.ExternalData.Add(new global::Onnx.StringStringEntryProto { Key = "length", Value = expected.Length.ToString() });
        var path = Path.Combine(dir, "model.onnx");
        File.WriteAllBytes(path, model.ToByteArray());

        var loaded = OnnxModelIO.Load(path).Graph.Initializer.Single(t => t.Name == tensor.Name);
        Assert.True(ExternalData.IsExternal(loaded));
        Assert.True(loaded.RawData.IsEmpty);
        Assert.Equal(expected.ToByteArray(), ExternalData.Read(loaded));
        var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(expected.Span).ToArray();
        Assert.Equal(floats, TensorData.ToFloats(loaded));
    }

    /// <summary>A model in its own folder whose largest initializer points at <paramref name="location"/>; the data file holds the tensor at offset 0.</summary>
    private static string ModelWithExternalData(string location, string? offset = null, string? dataFile = null)
    {
        var dir = TestPaths.NewTempDir();
        var model = OnnxModelIO.Load(TestPaths.SampleModel);
        var tensor = model.Graph.Initializer.First(t => t.RawData.Length > 1000);
        File.WriteAllBytes(dataFile ?? Path.Combine(dir, "weights.bin"), tensor.RawData.ToByteArray());
        tensor.RawData = ByteString.Empty;
        tensor.DataLocation = global::Onnx.TensorProto.Types.DataLocation.External;
        tensor.ExternalData.Add(new global::Onnx.StringStringEntryProto { Key = "location", Value = location });
        if (offset is not null) tensor.ExternalData.Add(new global::Onnx.StringStringEntryProto { Key = "offset", Value = offset });
        var path = Path.Combine(dir, "model.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    [Fact]
    public void External_data_outside_the_model_folder_is_never_read()
    {
        var secret = Path.Combine(TestPaths.NewTempDir(), "secret.bin");
        var outside = ModelWithExternalData("../" + Path.GetFileName(Path.GetDirectoryName(secret)) + "/secret.bin", dataFile: secret);
        Assert.Contains("outside the model's folder", Assert.Throws<PtqException>(() => OnnxModelIO.Load(outside)).Message);

        var absolute = ModelWithExternalData(secret, dataFile: secret);
        Assert.Contains("outside the model's folder", Assert.Throws<PtqException>(() => OnnxModelIO.Load(absolute)).Message);

        // A link beside the model that leads out of its folder is outside too.
        var linked = ModelWithExternalData("link.bin", dataFile: secret);
        File.CreateSymbolicLink(Path.Combine(Path.GetDirectoryName(linked)!, "link.bin"), secret);
        Assert.Contains("outside the model's folder", Assert.Throws<PtqException>(() => OnnxModelIO.Load(linked)).Message);
    }

    [Theory]
    [InlineData("-16", "is not a non-negative whole number")]
    [InlineData("abc", "is not a non-negative whole number")]
    [InlineData("99999999", "runs past the end")]
    public void Bad_external_data_offsets_are_named(string offset, string message)
    {
        var e = Assert.Throws<PtqException>(() => OnnxModelIO.Load(ModelWithExternalData("weights.bin", offset)));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Missing_or_short_external_data_is_named_before_any_work()
    {
        var missing = ModelWithExternalData("weights.bin");
        File.Delete(Path.Combine(Path.GetDirectoryName(missing)!, "weights.bin"));
        var e = Assert.Throws<PtqException>(() => OnnxModelIO.Load(missing));
        Assert.Contains("does not exist", e.Message);
        Assert.Contains("fc.weight", e.Message);

        // No length given: the file is read to its end, which holds fewer bytes than the tensor's shape needs.
        var shortened = ModelWithExternalData("weights.bin");
        var data = Path.Combine(Path.GetDirectoryName(shortened)!, "weights.bin");
        File.WriteAllBytes(data, File.ReadAllBytes(data)[..^40]);
        e = Assert.Throws<PtqException>(() => OnnxModelIO.Load(shortened));
        Assert.Contains("holds", e.Message);
        Assert.Contains("needs", e.Message);
        Assert.Contains("fc.weight", e.Message);
    }

    [Fact]
    public void A_model_with_external_weights_saves_inline_or_external_with_the_same_bytes()
    {
        var model = OnnxModelIO.Load(ModelWithExternalData("weights.bin"));
        var dir = TestPaths.NewTempDir();
        var inline = Path.Combine(dir, "inline.onnx");
        OnnxModelIO.Save(model, inline);
        Assert.False(File.Exists(inline + ".data"));
        var external = Path.Combine(dir, "external.onnx");
        OnnxModelIO.Save(model, external, externalData: true);
        Assert.True(File.Exists(external + ".data"));

        static byte[] Bytes(global::Onnx.TensorProto t) => TensorData.Raw(t).ToArray();
        var expected = model.Graph.Initializer.Select(Bytes).ToList();
        Assert.Equal(expected, OnnxModelIO.Load(inline).Graph.Initializer.Select(Bytes));
        Assert.Equal(expected, OnnxModelIO.Load(external).Graph.Initializer.Select(Bytes));
        Assert.InRange(OnnxModelIO.SizeOf(model) - OnnxModelIO.SizeOf(OnnxModelIO.Load(inline)), -16, 16); // external tensors counted as one file holds them
    }

    [Fact]
    public async Task External_data_that_is_a_folder_or_a_fifo_is_refused_without_blocking()
    {
        var folder = ModelWithExternalData("weights.bin");
        var data = Path.Combine(Path.GetDirectoryName(folder)!, "weights.bin");
        File.Delete(data);
        Directory.CreateDirectory(data);
        Assert.Contains("is a folder", Assert.Throws<PtqException>(() => OnnxModelIO.Load(folder)).Message);

        if (OperatingSystem.IsWindows()) return;
        var fifo = ModelWithExternalData("weights.bin");
        data = Path.Combine(Path.GetDirectoryName(fifo)!, "weights.bin");
        File.Delete(data);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", data)) mkfifo.WaitForExit();
        var load = Task.Run(() => OnnxModelIO.Load(fifo));
        Assert.Same(load, await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(20)))); // a blocked read would never finish
        var e = await Assert.ThrowsAsync<PtqException>(() => load);
        Assert.Contains("not a regular file", e.Message);
        Assert.Contains("External data of initializer", e.Message);
    }

    [Fact]
    public void Saving_over_a_hard_link_to_an_input_leaves_the_input_as_it_was()
    {
        // Outputs are written to a temporary file that is then renamed over the target: a target that is a
        // hard link to an input gets a new file of its own, and the input's bytes stay untouched.
        if (OperatingSystem.IsWindows()) return;
        var dir = TestPaths.NewTempDir();
        var input = Path.Combine(dir, "input.onnx");
        File.Copy(TestPaths.SampleModel, input);
        var link = Path.Combine(dir, "link.onnx");
        using (var ln = System.Diagnostics.Process.Start("ln", [input, link])) ln.WaitForExit();
        var before = File.ReadAllBytes(input);

        var other = TestGraphs.TwoConv();
        OnnxModelIO.Save(other, link);

        Assert.Equal(before, File.ReadAllBytes(input));
        Assert.Equal(other.ToByteArray(), File.ReadAllBytes(link));
    }

    [Fact]
    public void A_pair_of_files_is_written_whole_or_not_at_all()
    {
        var dir = TestPaths.NewTempDir();
        var data = Path.Combine(dir, "m.onnx.data");
        var model = Path.Combine(dir, "m.onnx");
        File.WriteAllText(data, "old data");
        Assert.Throws<IOException>(() => AtomicFile.WriteAll(
        [
            (data, s => s.Write("new data"u8)),
            (model, _ => throw new IOException("disk full")),
        ]));
        Assert.Equal("old data", File.ReadAllText(data)); // the first file was not moved into place either
        Assert.Equal(["m.onnx.data"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Save_leaves_no_temporary_files_behind()
    {
        var dir = TestPaths.NewTempDir();
        OnnxModelIO.Save(OnnxModelIO.Load(TestPaths.SampleModel), Path.Combine(dir, "out.onnx"));
        Assert.Equal(["out.onnx"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }
}
