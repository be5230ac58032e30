using System.IO.Compression;
using System.Text;
using PtqSharp.Data;

namespace PtqSharp.Tests.Data;

public class NpyTests
{
    internal static byte[] NpyBytes(string descr, long[] shape, byte[] payload)
    {
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({string.Join(", ", shape)}{(shape.Length == 1 ? "," : "")}), }}";
        header = header.PadRight(118 - 1) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange(Encoding.ASCII.GetBytes("NUMPY"));
        bytes.AddRange([1, 0]);
        bytes.AddRange(BitConverter.GetBytes((ushort)header.Length));
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        bytes.AddRange(payload);
        return bytes.ToArray();
    }

    internal static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    /// <summary>An .npz archive of the given .npy entries.</summary>
    internal static void WriteNpz(string path, params (string Name, byte[] Npy)[] entries)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, npy) in entries)
        {
            using var s = zip.CreateEntry(name).Open();
            s.Write(npy);
        }
    }

    [Theory]
    [InlineData("<f4", "100000, 100000, 100", "over the 1024 MiB a sample may hold")]
    [InlineData("<f4", "4, -1", "dimensions must be non-negative whole numbers")]
    [InlineData("<f4", "4, x", "dimensions must be non-negative whole numbers")]
    [InlineData("<f4", "1000", "is truncated: shape [1000] needs 4000 bytes of data, found 16")]
    [InlineData("<fX", "4", "has dtype '<fX'")]
    public void Header_sizes_and_fields_are_checked_before_anything_is_allocated(string descr, string shape, string message)
    {
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({shape},), }}".PadRight(117) + "\n";
        byte[] bytes = [0x93, .. Encoding.ASCII.GetBytes("NUMPY"), 1, 0, .. BitConverter.GetBytes((ushort)header.Length), .. Encoding.ASCII.GetBytes(header), .. Floats(1, 2, 3, 4)];
        var e = Assert.Throws<PtqException>(() => Npy.Read(new MemoryStream(bytes), "bomb.npy"));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void An_npz_entry_larger_than_the_budget_is_refused_before_it_is_inflated()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "bomb.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using var entry = zip.CreateEntry("x.npy", CompressionLevel.Optimal).Open();
            entry.Write(NpyBytes("<f4", [1 << 19], new byte[4 << 19])); // 2 MiB of zeros: a few KiB compressed
        }

        Assert.True(new FileInfo(path).Length < 20_000);
        var e = Assert.Throws<PtqException>(() => Npy.ReadArchive(path, maxBytes: 1 << 20));
        Assert.Contains("entry 'x.npy' inflates to 2097280 bytes, over the 1 MiB a sample may hold", e.Message);
        Assert.Single(Npy.ReadArchive(path)); // within the real budget it reads
    }

    [Fact]
    public void Reads_float32_and_int64_arrays_with_their_shapes()
    {
        var f = Npy.Read(new MemoryStream(NpyBytes("<f4", [2, 2], Floats(1, 2, 3, 4))), "f.npy");
        Assert.Equal([2L, 2], f.Shape);
        Assert.Equal([1f, 2, 3, 4], (float[])f.Data);

        var l = Npy.Read(new MemoryStream(NpyBytes("<i8", [3], BitConverter.GetBytes(7L).Concat(BitConverter.GetBytes(8L)).Concat(BitConverter.GetBytes(9L)).ToArray())), "l.npy");
        Assert.Equal([7L, 8, 9], (long[])l.Data);
    }

    [Fact]
    public void Truncated_data_is_an_error_naming_the_file()
    {
        var e = Assert.Throws<PtqException>(() => Npy.Read(new MemoryStream(NpyBytes("<f4", [4], Floats(1, 2))), "short.npy"));
        Assert.Contains("short.npy", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Npz_archives_are_keyed_by_array_name()
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "s.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (var name in new[] { "input_ids", "mask" })
            {
                using var s = zip.CreateEntry(name + ".npy").Open();
                s.Write(NpyBytes("<i8", [1], BitConverter.GetBytes(5L)));
            }
        }

        var arrays = Npy.ReadArchive(path);
        Assert.Equal(["input_ids", "mask"], arrays.Keys.Order());
    }

    [Fact]
    public void Subset_selection_is_deterministic_and_disjoint_from_the_hold_out()
    {
        var a = SubsetSelector.Select(1000, 300, seed: 3, maxHoldOut: 100);
        var b = SubsetSelector.Select(1000, 300, seed: 3, maxHoldOut: 100);
        var c = SubsetSelector.Select(1000, 300, seed: 4, maxHoldOut: 100);
        Assert.Equal(a.Calibration, b.Calibration);
        Assert.NotEqual(a.Calibration, c.Calibration);
        Assert.Equal(300, a.Calibration.Count);
        Assert.Equal(100, a.HoldOut.Count);
        Assert.Empty(a.Calibration.Intersect(a.HoldOut));

        var small = SubsetSelector.Select(50, 300, 0, 100);
        Assert.Equal(50, small.Calibration.Count);
        Assert.Empty(small.HoldOut);
    }
}
