using System.IO.Compression;
using PtqSharp.Onnx;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Cli;

[Collection("cli")]
public class TransformerCommandTests
{
    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public void Quantizes_MiniLM_from_npz_token_samples_of_different_lengths()
    {
        var dir = TestPaths.NewTempDir();
        var modelPath = Path.Combine(dir, "minilm.onnx");
        OnnxModelIO.Save(TestPaths.MiniLM(), modelPath);
        var data = Directory.CreateDirectory(Path.Combine(dir, "tokens")).FullName;
        var random = new Random(9);
        for (int i = 0; i < 16; i++)
        {
            int n = 6 + i;
            var ids = Enumerable.Range(0, n).Select(k => k == 0 ? 101L : k == n - 1 ? 102L : random.Next(1000, 20000)).ToArray();
            using var zip = ZipFile.Open(Path.Combine(data, $"{i:00}.npz"), ZipArchiveMode.Create);
            foreach (var (name, values) in new[] { ("input_ids", ids), ("attention_mask", Enumerable.Repeat(1L, n).ToArray()), ("token_type_ids", new long[n]) })
            {
                using var s = zip.CreateEntry(name + ".npy").Open();
                s.Write(NpyTests.NpyBytes("<i8", [1, n], values.SelectMany(BitConverter.GetBytes).ToArray()));
            }
        }

        var output = Path.Combine(dir, "minilm.int8.onnx");
        var (code, text) = CliRunner.Run("quantize", "--model", modelPath, "--data", data, "--model-type", "transformer",
            "--subset-size", "12", "--hold-out", "4", "--output", output, "--latency-aware", "false");
        Assert.True(code == 0, text);
        Assert.Contains("MatMul 48/48", text);
        Assert.DoesNotContain("Add ", text.Split("Ops quantized")[1].Split('\n')[0]);
        Assert.True(File.Exists(output));
    }
}
