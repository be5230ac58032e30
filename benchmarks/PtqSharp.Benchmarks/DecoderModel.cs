using System.Buffers.Binary;
using Google.Protobuf;
using Onnx;
using PtqSharp.Data;
using PtqSharp.Onnx;

namespace PtqSharp.Benchmarks;

/// <summary>The size of a generated decoder: vocabulary, hidden width, attention heads, MLP width, layers, sequence length.</summary>
internal sealed record DecoderShape(int Vocab, int Hidden, int Heads, int Ffn, int Layers, int Sequence)
{
    /// <summary>About 2.6 GB of float weights: past protobuf's 2 GB, so the model only exists with external data.</summary>
    public static readonly DecoderShape Large = new(Vocab: 32000, Hidden: 2048, Heads: 16, Ffn: 5632, Layers: 10, Sequence: 16);

    /// <summary>About 160 MB: the same graph at a size that runs in seconds.</summary>
    public static readonly DecoderShape Medium = new(Vocab: 8000, Hidden: 512, Heads: 8, Ffn: 1408, Layers: 10, Sequence: 16);

    /// <summary>A few hundred KiB, the same graph: for tests.</summary>
    public static readonly DecoderShape Tiny = new(Vocab: 96, Hidden: 64, Heads: 4, Ffn: 128, Layers: 2, Sequence: 8);

    public long WeightCount => (long)Vocab * Hidden * 2 + Layers * ((long)Hidden * Hidden * 4 + (long)Hidden * Ffn * 3);
}

/// <summary>
/// Writes a decoder-style language model (token embedding table, pre-norm causal self-attention and SwiGLU MLP
/// blocks, LayerNorm spelled out in small ops as exporters write it, an LM head) with random weights straight to
/// ONNX external data, one tensor at a time, so a model of any size is made in a few MiB of memory; and token-id
/// samples for it as .npy files.
/// </summary>
internal static class DecoderModel
{
    public const string InputName = "input_ids";

    /// <summary>Writes <c>decoder.onnx</c> and <c>decoder.onnx.data</c> into <paramref name="folder"/>; returns the model path.</summary>
    public static string Write(string folder, DecoderShape shape, int seed = 7)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "decoder.onnx");
        var dataName = "decoder.onnx.data";
        var graph = new GraphProto { Name = "decoder" };
        using var data = new FileStream(Path.Combine(folder, dataName), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        int tensorIndex = 0;

        // A random float weight of the given shape, uniform with standard deviation 0.02 (GPT's initialisation), streamed to the data file.
        string Weight(string name, params long[] dims)
        {
            long offset = ExternalData.AlignedOffset(data.Position), count = dims.Aggregate(1L, (a, d) => a * d);
            data.Write(new byte[offset - data.Position]);
            var random = new Random(seed * 1000 + tensorIndex++);
            float bound = 0.02f * MathF.Sqrt(3f);
            var chunk = new byte[1 << 22];
            for (long left = count; left > 0;)
            {
                int n = (int)Math.Min(chunk.Length / 4, left);
                for (int i = 0; i < n; i++) BinaryPrimitives.WriteSingleLittleEndian(chunk.AsSpan(i * 4), (random.NextSingle() * 2 - 1) * bound);
                data.Write(chunk, 0, n * 4);
                left -= n;
            }

            var t = new TensorProto { Name = name, DataType = TensorData.Float };
            t.Dims.Add(dims);
            ExternalData.Point(t, dataName, offset, count * 4);
            graph.Initializer.Add(t);
            return name;
        }

        string Constant(string name, float[] values, params long[] dims)
        {
            graph.Initializer.Add(TensorData.FromFloats(name, dims, values));
            return name;
        }

        string Shape(string name, params long[] values)
        {
            graph.Initializer.Add(TensorData.Create<long>(name, [values.Length], values, TensorData.Int64));
            return name;
        }

        string Op(string op, string output, string[] inputs, params AttributeProto[] attributes)
        {
            var node = new NodeProto { OpType = op, Name = output };
            node.Input.Add(inputs);
            node.Output.Add(output);
            node.Attribute.Add(attributes);
            graph.Node.Add(node);
            return output;
        }

        static AttributeProto Ints(string name, params long[] values) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } };
        static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

        int h = shape.Hidden, s = shape.Sequence, heads = shape.Heads, d = h / heads;
        var ones = Enumerable.Repeat(1f, h).ToArray();
        var zeros = new float[h];
        string epsilon = Constant("epsilon", [1e-5f]);
        string scale = Constant("attention_scale", [1f / MathF.Sqrt(d)]);
        var mask = new float[s * s];
        for (int i = 0; i < s; i++) for (int j = i + 1; j < s; j++) mask[i * s + j] = -10000f; // causal: no token sees later ones
        string causal = Constant("causal_mask", mask, 1, 1, s, s);
        string splitHeads = Shape("split_heads", 0, 0, heads, d);
        string mergeHeads = Shape("merge_heads", 0, 0, h);

        string LayerNorm(string x, string prefix)
        {
            var mean = Op("ReduceMean", $"{prefix}/mean", [x], Ints("axes", -1));
            var centred = Op("Sub", $"{prefix}/centred", [x, mean]);
            var square = Op("Mul", $"{prefix}/square", [centred, centred]);
            var variance = Op("ReduceMean", $"{prefix}/variance", [square], Ints("axes", -1));
            var std = Op("Sqrt", $"{prefix}/std", [Op("Add", $"{prefix}/variance_eps", [variance, epsilon])]);
            var normed = Op("Div", $"{prefix}/normed", [centred, std]);
            return Op("Add", $"{prefix}/out", [Op("Mul", $"{prefix}/scaled", [normed, Constant($"{prefix}.gamma", ones, h)]), Constant($"{prefix}.beta", zeros, h)]);
        }

        string x = Op("Gather", "embeddings", [Weight("embed_tokens.weight", shape.Vocab, h), InputName], Int("axis", 0));
        for (int layer = 0; layer < shape.Layers; layer++)
        {
            var p = $"layers.{layer}";
            var a = LayerNorm(x, $"{p}/input_norm");
            string Heads(string projection, long[] perm) =>
                Op("Transpose", $"{p}/attn/{projection}_heads", [Op("Reshape", $"{p}/attn/{projection}_split", [Op("MatMul", $"{p}/attn/{projection}", [a, Weight($"{p}.attn.{projection}.weight", h, h)]), splitHeads])], Ints("perm", perm));
            var q = Op("Mul", $"{p}/attn/q_scaled", [Heads("q_proj", [0, 2, 1, 3]), scale]);
            var k = Heads("k_proj", [0, 2, 3, 1]);
            var v = Heads("v_proj", [0, 2, 1, 3]);
            var scores = Op("Add", $"{p}/attn/masked", [Op("MatMul", $"{p}/attn/scores", [q, k]), causal]);
            var probs = Op("Softmax", $"{p}/attn/probs", [scores], Int("axis", -1));
            var context = Op("Reshape", $"{p}/attn/context", [Op("Transpose", $"{p}/attn/context_heads", [Op("MatMul", $"{p}/attn/weighted", [probs, v])], Ints("perm", 0, 2, 1, 3)), mergeHeads]);
            x = Op("Add", $"{p}/attn_residual", [x, Op("MatMul", $"{p}/attn/o_proj", [context, Weight($"{p}.attn.o_proj.weight", h, h)])]);

            var m = LayerNorm(x, $"{p}/post_attention_norm");
            var gate = Op("MatMul", $"{p}/mlp/gate_proj", [m, Weight($"{p}.mlp.gate_proj.weight", h, shape.Ffn)]);
            var silu = Op("Mul", $"{p}/mlp/silu", [gate, Op("Sigmoid", $"{p}/mlp/gate_sigmoid", [gate])]);
            var up = Op("MatMul", $"{p}/mlp/up_proj", [m, Weight($"{p}.mlp.up_proj.weight", h, shape.Ffn)]);
            var down = Op("MatMul", $"{p}/mlp/down_proj", [Op("Mul", $"{p}/mlp/gated", [silu, up]), Weight($"{p}.mlp.down_proj.weight", shape.Ffn, h)]);
            x = Op("Add", $"{p}/mlp_residual", [x, down]);
        }

        Op("MatMul", "logits", [LayerNorm(x, "final_norm"), Weight("lm_head.weight", h, shape.Vocab)]);

        graph.Input.Add(Value(InputName, TensorProto.Types.DataType.Int64, 1, s));
        graph.Output.Add(Value("logits", TensorProto.Types.DataType.Float, 1, s, shape.Vocab));
        var model = new ModelProto { IrVersion = 8, ProducerName = "PtqSharp.Benchmarks decoder generator", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        data.Flush(flushToDisk: true);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    /// <summary>Writes <paramref name="count"/> samples of random token ids (int64 [1, sequence]) as .npy files; returns the folder.</summary>
    public static string WriteTokens(string folder, DecoderShape shape, int count, int seed = 11)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            var ids = Enumerable.Range(0, shape.Sequence).Select(_ => (long)random.Next(shape.Vocab)).ToArray();
            NpyWriter.Write(Path.Combine(folder, $"tokens{i:D3}.npy"), new SampleTensor(ids, [1, shape.Sequence]));
        }

        return folder;
    }

    private static ValueInfoProto Value(string name, TensorProto.Types.DataType type, params long[] dims)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = new TensorShapeProto() };
        foreach (var d in dims) tensor.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }
}
