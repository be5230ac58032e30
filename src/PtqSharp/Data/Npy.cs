using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace PtqSharp.Data;

/// <summary>Reads NumPy .npy arrays and .npz archives (little-endian, C order).</summary>
public static partial class Npy
{
    /// <summary>Reads one .npy array.</summary>
    public static SampleTensor ReadFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Every array of an .npz archive, keyed by its name without the .npy extension.</summary>
    public static Dictionary<string, SampleTensor> ReadArchive(string path)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var result = new Dictionary<string, SampleTensor>();
            foreach (var entry in zip.Entries)
            {
                var key = entry.FullName.EndsWith(".npy", StringComparison.Ordinal) ? entry.FullName[..^4] : entry.FullName;
                using var s = entry.Open();
                using var buffer = new MemoryStream();
                s.CopyTo(buffer);
                buffer.Position = 0;
                result[key] = Read(buffer, $"{path}:{entry.FullName}");
            }

            return result;
        }
        catch (InvalidDataException e)
        {
            return ThrowHelper.Throw<Dictionary<string, SampleTensor>>($"'{path}' is not a valid .npz archive: {e.Message}");
        }
    }

    /// <summary>Reads a .npy array from a stream; <paramref name="source"/> names it in errors.</summary>
    public static SampleTensor Read(Stream stream, string source)
    {
        using var reader = new BinaryReader(stream, Encoding.ASCII, leaveOpen: true);
        try
        {
            var magic = reader.ReadBytes(6);
            if (magic.Length != 6 || magic[0] != 0x93 || Encoding.ASCII.GetString(magic, 1, 5) != "NUMPY")
            {
                ThrowHelper.Throw($"'{source}' is not a .npy file (bad magic).");
            }

            byte major = reader.ReadByte();
            reader.ReadByte();
            int headerLength = major == 1 ? reader.ReadUInt16() : (int)reader.ReadUInt32();
            var header = Encoding.ASCII.GetString(reader.ReadBytes(headerLength));
            var descr = Descr().Match(header).Groups[1].Value;
            if (FortranOrder().IsMatch(header))
            {
                ThrowHelper.Throw($"'{source}' is stored in Fortran order; save it with np.ascontiguousarray first.");
            }

            var shapeText = Shape().Match(header).Groups[1].Value;
            var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
            long count = shape.Aggregate(1L, (a, d) => a * d);
            int width = descr.Length > 2 ? int.Parse(descr[2..]) : 0;
            var bytes = reader.ReadBytes(checked((int)(count * width)));
            if (bytes.Length != count * width)
            {
                ThrowHelper.Throw($"'{source}' is truncated: shape [{string.Join("x", shape)}] needs {count * width} bytes of data, found {bytes.Length}.");
            }

            if (descr[0] == '>')
            {
                ThrowHelper.Throw($"'{source}' is big-endian ({descr}); save it little-endian.");
            }

            Array data = descr[1..] switch
            {
                "f4" => MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
                "f8" => MemoryMarshal.Cast<byte, double>(bytes).ToArray(),
                "f2" => MemoryMarshal.Cast<byte, Half>(bytes).ToArray(),
                "i8" => MemoryMarshal.Cast<byte, long>(bytes).ToArray(),
                "i4" => MemoryMarshal.Cast<byte, int>(bytes).ToArray(),
                "u1" => bytes,
                "i1" => MemoryMarshal.Cast<byte, sbyte>(bytes).ToArray(),
                "b1" => Array.ConvertAll(bytes, b => b != 0),
                _ => ThrowHelper.Throw<Array>($"'{source}' has dtype '{descr}', which PtqSharp does not read; use float32, float16, float64, int64, int32, uint8, int8 or bool."),
            };
            return new SampleTensor(data, shape);
        }
        catch (EndOfStreamException)
        {
            return ThrowHelper.Throw<SampleTensor>($"'{source}' is truncated: the .npy header is incomplete.");
        }
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']+)'")]
    private static partial Regex Descr();

    [GeneratedRegex(@"'fortran_order'\s*:\s*True")]
    private static partial Regex FortranOrder();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex Shape();
}
