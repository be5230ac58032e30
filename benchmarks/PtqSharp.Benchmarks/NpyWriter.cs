using PtqSharp.Data;

namespace PtqSharp.Benchmarks;

/// <summary>Writes a sample as a NumPy .npy file (format 1.0, header padded so the data starts 64-byte aligned): the benchmarks' generated data.</summary>
internal static class NpyWriter
{
    public static void Write(string path, SampleTensor t)
    {
        var (descr, bytes) = t.Data switch
        {
            float[] floats => ("<f4", System.Runtime.InteropServices.MemoryMarshal.AsBytes(floats.AsSpan()).ToArray()),
            long[] l => ("<i8", System.Runtime.InteropServices.MemoryMarshal.AsBytes(l.AsSpan()).ToArray()),
            _ => throw new InvalidOperationException("float or int64 samples only"),
        };
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({string.Join(", ", t.Shape)}{(t.Shape.Length == 1 ? "," : "")}), }}";
        header = header.PadRight(((10 + header.Length + 1 + 63) / 64 * 64) - 10 - 1) + "\n";
        using var f = File.Create(path);
        f.Write([0x93, .. "NUMPY"u8, 1, 0]);
        f.Write(BitConverter.GetBytes((ushort)header.Length));
        f.Write(System.Text.Encoding.ASCII.GetBytes(header));
        f.Write(bytes);
    }
}
