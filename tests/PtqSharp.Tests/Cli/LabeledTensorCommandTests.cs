using System.Text.Json;
using PtqSharp.Data;
using PtqSharp.Onnx;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Cli;

/// <summary>Top-1 on preprocessed tensors: a folder of .npy/.npz samples plus a file,label CSV, from the command line.</summary>
[Collection("cli")]
public class LabeledTensorCommandTests
{
    private static readonly string Calibration = Path.Combine(TestPaths.Sample, "calibration");

    /// <summary>
    /// The sample's first <paramref name="count"/> validation images (in file order), preprocessed as the model wants
    /// and saved as .npy (every third one as .npz keyed by the input name), with labels.csv naming their classes.
    /// </summary>
    private static (string Folder, string Labels) Tensors(int count)
    {
        var images = ImageFolderDataset.ByClassFolder(Path.Combine(TestPaths.Sample, "validation"),
            new ImagePreprocessing { Mean = [72.9f], Scale = [90f] }.ResolveFor(OnnxModel.Load(TestPaths.SampleModel)));
        var dir = TestPaths.NewTempDir();
        var folder = Path.Combine(dir, "tensors");
        Directory.CreateDirectory(Path.Combine(folder, "part"));
        var rows = new List<string> { "file,label" };
        for (int i = 0; i < count; i++)
        {
            var t = images.Get(i).Inputs.Values.Single();
            var npy = NpyTests.NpyBytes("<f4", t.Shape, NpyTests.Floats((float[])t.Data));
            var name = i % 3 == 2 ? $"part/s{i:D3}.npz" : $"s{i:D3}.npy";
            if (name.EndsWith(".npz")) NpyTests.WriteNpz(Path.Combine(folder, name), ("image.npy", npy));
            else File.WriteAllBytes(Path.Combine(folder, name), npy);
            rows.Add($"{name},{images.Label(i)}");
        }

        var labels = Path.Combine(dir, "labels.csv");
        File.WriteAllLines(labels, rows);
        return (folder, labels);
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public void Accuracy_aware_quantization_meets_a_top1_bound_on_npy_samples_with_a_labels_csv()
    {
        var (folder, labels) = Tensors(200);
        var outPath = Path.Combine(TestPaths.NewTempDir(), "m.int8.onnx");
        var (code, output) = CliRunner.Run("quantize", "--model", TestPaths.SampleModel, "--data", Calibration, "--mean", "72.9", "--scale", "90",
            "--subset-size", "100", "--hold-out", "20", "--latency-aware", "false", "--method", "accuracy-aware",
            "--validation", folder, "--labels", labels, "--metric", "top1", "--max-drop", "0.005", "--output", outPath);

        Assert.True(code == 0, output);
        Assert.Contains("top1 on 200 validation samples", output);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(outPath)!, "m.int8.accuracy.json")));
        Assert.True(json.RootElement.GetProperty("bound_met").GetBoolean());
        Assert.True(json.RootElement.GetProperty("final_drop").GetDouble() <= 0.005);
    }

    [Fact]
    public void Evaluate_scores_npy_samples_as_it_scores_the_images_they_came_from()
    {
        var (folder, labels) = Tensors(60);
        var (code, output) = CliRunner.Run("evaluate", "--model", TestPaths.SampleModel, "--data", folder, "--labels", labels, "--metric", "top1");
        Assert.True(code == 0, output);

        // The same 60 images, labeled by a CSV beside them, score the same.
        var images = Path.Combine(TestPaths.Sample, "validation");
        var firstImages = ImageFolderDataset.ByClassFolder(images, new ImagePreprocessing { Mean = [72.9f], Scale = [90f] }.ResolveFor(OnnxModel.Load(TestPaths.SampleModel)));
        var csv = Path.Combine(TestPaths.NewTempDir(), "images.csv");
        File.WriteAllLines(csv, Enumerable.Range(0, 60).Select(i => $"{Path.GetRelativePath(images, firstImages.Files[i])},{firstImages.Label(i)}"));
        var (imageCode, imageOutput) = CliRunner.Run("evaluate", "--model", TestPaths.SampleModel, "--data", images, "--labels", csv, "--metric", "top1", "--mean", "72.9", "--scale", "90");
        Assert.True(imageCode == 0, imageOutput);

        static string Score(string o) => o.Split('\n').First(l => l.Contains("model.onnx")).Trim();
        Assert.Equal(Score(imageOutput), Score(output));
    }

    [Theory]
    [InlineData("s000.npy,0\ns000.npy,1", "listed a second time (first on line 1)")]
    [InlineData("../outside.npy,0", "outside the data folder")]
    [InlineData("s000.npy,-1", "is negative")]
    [InlineData("s000.npy,0\ns001.npy,x", ":2: expected 'file,label'")]
    [InlineData("notes.txt,0", "is not a NumPy sample")]
    [InlineData("s999.npy,0", "does not exist")]
    [InlineData("s000.npy,99", "has label 99, but the model output has 10 classes")]
    public void Bad_labels_are_named_with_their_line(string csv, string message)
    {
        var (folder, _) = Tensors(3);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "x");
        File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(folder)!, "outside.npy"), File.ReadAllBytes(Path.Combine(folder, "s000.npy")));
        var labels = Path.Combine(TestPaths.NewTempDir(), "labels.csv");
        File.WriteAllText(labels, csv);
        var (code, output) = CliRunner.Run("evaluate", "--model", TestPaths.SampleModel, "--data", folder, "--labels", labels, "--metric", "top1");
        Assert.True(code == 2, output);
        Assert.Contains(message, output);
    }

    [Fact]
    public void Npy_samples_without_labels_cannot_give_top1()
    {
        var (folder, _) = Tensors(3);
        var (code, output) = CliRunner.Run("evaluate", "--model", TestPaths.SampleModel, "--data", folder, "--metric", "top1");
        Assert.Equal(2, code);
        Assert.Contains("give their classes with --labels", output);
    }
}
