using System.Diagnostics;
using System.Text;
using PtqSharp.Data;
using PtqSharp.Onnx;

namespace PtqSharp.Tests.Data;

/// <summary>Data folders and model paths from elsewhere: links that loop, empty files, FIFOs, images that declare gigapixels.</summary>
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
    public void A_folder_or_a_dangling_link_given_as_the_model_is_named_as_such()
    {
        var dir = TestPaths.NewTempDir();
        Assert.Contains("is a folder; give the file itself", Assert.Throws<PtqException>(() => OnnxModel.Load(dir)).Message);
        var link = Path.Combine(dir, "gone.onnx");
        File.CreateSymbolicLink(link, Path.Combine(dir, "missing.onnx"));
        Assert.Contains("is a link to nothing", Assert.Throws<PtqException>(() => OnnxModel.Load(link)).Message);
        Assert.Contains("does not exist", Assert.Throws<PtqException>(() => OnnxModel.Load(Path.Combine(dir, "none.onnx"))).Message);
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

    [Fact]
    public void An_image_declaring_gigapixels_is_refused_before_decoding()
    {
        // A valid PNG signature and IHDR chunk for 20000x20000 RGB, then IEND: 57 bytes that would decode to 1.2 GB.
        static byte[] Chunk(string type, byte[] data)
        {
            byte[] body = [.. Encoding.ASCII.GetBytes(type), .. data];
            return [.. BigEndian((uint)data.Length), .. body, .. BigEndian(Crc32(body))];
        }

        static byte[] BigEndian(uint v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];
        static uint Crc32(byte[] bytes)
        {
            uint crc = 0xFFFFFFFF;
            foreach (var b in bytes)
            {
                crc ^= b;
                for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }

            return ~crc;
        }

        var dir = TestPaths.NewTempDir();
        byte[] png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A,
            .. Chunk("IHDR", [.. BigEndian(20000), .. BigEndian(20000), 8, 2, 0, 0, 0]), .. Chunk("IEND", [])];
        File.WriteAllBytes(Path.Combine(dir, "bomb.png"), png);
        var data = ImageFolderDataset.Unlabeled(dir, new ImagePreprocessing { Width = 28, Height = 28, Channels = 1 });
        var e = Assert.Throws<PtqException>(() => data.Get(0));
        Assert.Contains("declares 20000x20000 pixels, over the 100 megapixels", e.Message);
    }

    [Fact]
    public void A_truncated_jpeg_is_refused_and_a_whole_one_reads()
    {
        var dir = TestPaths.NewTempDir();
        using (var image = new SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(64, 64))
        {
            for (int y = 0; y < 64; y++)
            {
                for (int x = 0; x < 64; x++) image[x, y] = new SixLabors.ImageSharp.PixelFormats.Rgb24((byte)(x * 4), (byte)(y * 4), (byte)(x ^ y));
            }

            SixLabors.ImageSharp.ImageExtensions.SaveAsJpeg(image, Path.Combine(dir, "a.jpg"));
        }

        var prep = new ImagePreprocessing { Width = 28, Height = 28, Channels = 3 };
        Assert.NotNull(ImageFolderDataset.Unlabeled(dir, prep).Get(0));
        var whole = File.ReadAllBytes(Path.Combine(dir, "a.jpg"));
        File.WriteAllBytes(Path.Combine(dir, "a.jpg"), whole[..(whole.Length / 2)]);
        var e = Assert.Throws<PtqException>(() => ImageFolderDataset.Unlabeled(dir, prep).Get(0));
        Assert.Contains("is truncated: the JPEG has no end-of-image marker", e.Message);
    }
}
