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
    public void External_data_initializers_are_read_inline()
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
        OnnxModelIO.Save(model, path);

        var loaded = OnnxModelIO.Load(path);
        Assert.Equal(expected, loaded.Graph.Initializer.Single(t => t.Name == tensor.Name).RawData);
    }

    [Fact]
    public void Save_leaves_no_temporary_files_behind()
    {
        var dir = TestPaths.NewTempDir();
        OnnxModelIO.Save(OnnxModelIO.Load(TestPaths.SampleModel), Path.Combine(dir, "out.onnx"));
        Assert.Equal(["out.onnx"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }
}
