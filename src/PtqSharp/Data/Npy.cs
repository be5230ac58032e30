using System.Globalization;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace PtqSharp.Data;

/// <summary>Reads NumPy .npy arrays and .npz archives (little-endian, C order).</summary>
public static partial class Npy
{
    /// <summary>The most bytes one array may hold (1 GiB): far above any model input, far below what would exhaust memory.</summary>
    public const long MaxBytes = 1L << 30;

    /// <summary>Reads one .npy array.</summary>
    public static SampleTensor ReadFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Every array of an .npz archive, keyed by its name without the .npy extension.</summary>
    public static Dictionary<string, SampleTensor> ReadArchive(string path) => ReadArchive(path, MaxBytes);

    /// <param name="path">The .npz file.</param>
    /// <param name="maxBytes">The most bytes one entry may inflate to.</param>
    internal static Dictionary<string, SampleTensor> ReadArchive(string path, long maxBytes)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var result = new Dictionary<string, SampleTensor>();
            foreach (var entry in zip.Entries)
            {
                var key = entry.FullName.EndsWith(".npy", StringComparison.Ordinal) ? entry.FullName[..^4] : entry.FullName;
                // The declared size is checked first, and no more than it is inflated: a small archive cannot fill memory.
                if (entry.Length > maxBytes + 4096)
                {
                    ThrowHelper.Throw($"'{path}': entry '{entry.FullName}' inflates to {entry.Length} bytes, over the {maxBytes >> 20} MiB a sample may hold.");
                }

                using var s = entry.Open();
                using var buffer = new MemoryStream();
                var chunk = new byte[81920];
                for (int n; (n = s.Read(chunk)) > 0;)
                {
                    if (buffer.Length + n > entry.Length) ThrowHelper.Throw($"'{path}': entry '{entry.FullName}' inflates to more than the {entry.Length} bytes it declares.");
                    buffer.Write(chunk, 0, n);
                }

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
            var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(d => long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v
                    : ThrowHelper.Throw<long>($"'{source}' has shape ({shapeText}) in its header; dimensions must be non-negative whole numbers."))
                .ToArray();
            if (descr.Length < 3 || !int.TryParse(descr[2..], NumberStyles.None, CultureInfo.InvariantCulture, out int width) || width is < 1 or > 8)
            {
                return ThrowHelper.Throw<SampleTensor>($"'{source}' has dtype '{descr}' in its header, which PtqSharp does not read; use float32, float16, float64, int64, int32, uint8, int8 or bool.");
            }

            // Sizes the header declares are checked before anything is allocated: a few bytes cannot ask for gigabytes.
            long count = SampleTensor.ElementCountUpTo(shape, MaxBytes);
            if (count * width > MaxBytes)
            {
                return ThrowHelper.Throw<SampleTensor>($"'{source}' declares shape [{string.Join("x", shape)}] of {descr}, over the {MaxBytes >> 20} MiB a sample may hold.");
            }

            if (stream.CanSeek && stream.Length - stream.Position < count * width)
            {
                return ThrowHelper.Throw<SampleTensor>($"'{source}' is truncated: shape [{string.Join("x", shape)}] needs {count * width} bytes of data, found {stream.Length - stream.Position}.");
            }

            var bytes = reader.ReadBytes((int)(count * width));
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
