using Microsoft.ML.OnnxRuntime;
using PtqSharp.Benchmarks;
using PtqSharp.Onnx;

namespace PtqSharp.Tests.Cli;

/// <summary>
/// The decoder the large-model benchmark generates past 2 GB, at test size: its weights are external data written by
/// the generator, as exporters write large models.
/// </summary>
[Collection("cli")]
public class LargeModelCommandTests
{
    private static (string Model, string Tokens) Decoder()
    {
        var dir = TestPaths.NewTempDir();
        return (DecoderModel.Write(Path.Combine(dir, "model"), DecoderShape.Tiny), DecoderModel.WriteTokens(Path.Combine(dir, "tokens"), DecoderShape.Tiny, 24));
    }

    private static float[] Logits(string model, string tokens)
    {
        using var session = new InferenceSession(model);
        var sample = PtqSharp.Data.Npy.ReadFile(Directory.GetFiles(tokens).Order().First());
        var ids = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<long>((long[])sample.Data, [1, DecoderShape.Tiny.Sequence]);
        using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(DecoderModel.InputName, ids)]);
        return outputs[0].AsEnumerable<float>().ToArray();
    }

    [Fact]
    public void A_generated_decoder_keeps_its_weights_on_disk_when_loaded()
    {
        var (model, _) = Decoder();
        var loaded = OnnxModel.Load(model);
        var external = loaded.Proto.Graph.Initializer.Where(ExternalData.IsExternal).ToList();
        Assert.Equal(2 + DecoderShape.Tiny.Layers * 7, external.Count); // embedding, LM head, 7 matrices per block
        Assert.All(external, t => Assert.True(t.RawData.IsEmpty));
        Assert.Equal(DecoderShape.Tiny.WeightCount * 4, external.Sum(t => ExternalData.Reference(t).Length));
        Assert.Equal(new FileInfo(model).Length + DecoderShape.Tiny.WeightCount * 4, loaded.SizeBytes, tolerance: 128 * external.Count); // references give way to field headers
    }

    [Fact]
    public void Quantize_and_compress_weights_write_models_onnx_runtime_runs_close_to_fp32()
    {
        var (model, tokens) = Decoder();
        var dir = Path.GetDirectoryName(Path.GetDirectoryName(model))!;
        var fp32 = Logits(model, tokens);
        var int8 = Path.Combine(dir, "out", "decoder.int8.onnx");
        var (code, text) = CliRunner.Run("quantize", "--model", model, "--data", tokens, "--subset-size", "16", "--hold-out", "8", "--latency-aware", "false", "--external-data", "--output", int8);
        Assert.True(code == 0, text);
        Assert.True(new FileInfo(int8 + ".data").Length > new FileInfo(int8).Length);
        Assert.Contains("QLinearMatMul", text); // the MatMuls run as integer kernels
        Assert.True(Cosine(fp32, Logits(int8, tokens)) > 0.99, text);

        var int4 = Path.Combine(dir, "out", "decoder.int4.onnx");
        (code, text) = CliRunner.Run("compress-weights", "--model", model, "--output", int4, "--mode", "int4-asym", "--group-size", "32");
        Assert.True(code == 0, text);
        Assert.Contains("MatMulNBits", text);
        Assert.True(Cosine(fp32, Logits(int4, tokens)) > 0.98, text);

        // The inputs are as they were: the model and its data file.
        Assert.Equal(Logits(model, tokens), fp32);
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++) (dot, na, nb) = (dot + a[i] * b[i], na + a[i] * a[i], nb + b[i] * b[i]);
        return dot / Math.Sqrt(na * nb);
    }
}
