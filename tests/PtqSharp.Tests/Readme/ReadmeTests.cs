using System.Diagnostics;
using System.Text.RegularExpressions;
using PtqSharp.Data;
using PtqSharp.Onnx;

namespace PtqSharp.Tests.Readme;

/// <summary>
/// The README is run, not read: every bash block runs as printed (in order, from the repository's root as a user runs
/// them, with the tool packed and installed by the README's own command into a scratch home), every C# block compiles
/// and runs against the library, the config block is the shipped config, and the printed summary matches the tool's rows.
/// The README's test command (<c>dotnet test</c>) is the one line not run here: it is what runs this.
/// </summary>
[Collection("cli")]
public partial class ReadmeTests
{
    private static readonly string Root = TestPaths.RepoRoot;

    private sealed record Block(string Language, string Text, int Line);

    private static List<Block> Blocks()
    {
        var text = File.ReadAllText(Path.Combine(Root, "README.md"));
        return Fence().Matches(text).Select(m => new Block(m.Groups[1].Value, m.Groups[2].Value, text[..m.Index].Count(c => c == '\n') + 1)).ToList();
    }

    [GeneratedRegex(@"^```(\w*)\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();

    /// <summary>A scratch folder holding a link to every top-level entry of the repository: commands run there as from a checkout, and write there.</summary>
    private static string Scratch()
    {
        var dir = TestPaths.NewTempDir();
        foreach (var entry in Directory.EnumerateFileSystemEntries(Root))
        {
            var name = Path.GetFileName(entry);
            if (name is ".git" || name.EndsWith(".onnx", StringComparison.Ordinal)) continue;
            if (Directory.Exists(entry)) Directory.CreateSymbolicLink(Path.Combine(dir, name), entry);
            else File.CreateSymbolicLink(Path.Combine(dir, name), entry);
        }

        return dir;
    }

    private static (int Code, string Output) Bash(string script, string workingDirectory, IDictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("bash", ["-euo", "pipefail", "-c", script])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (k, v) in environment) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeout}\n{stdout.Result}{stderr.Result}");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public void Every_command_block_runs_as_printed()
    {
        var work = Root;
        var home = TestPaths.NewTempDir();
        var before = Directory.EnumerateFileSystemEntries(Root).ToHashSet();
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        // The tool is installed from the freshly packed package, never from an older one in the package cache.
        foreach (var cached in Directory.Exists(packages) ? Directory.GetDirectories(packages, "ptqsharp.cli*") : []) Directory.Delete(cached, recursive: true);
        var environment = new Dictionary<string, string>
        {
            ["HOME"] = home, // `dotnet tool install -g` installs into this scratch home, not the machine's
            ["DOTNET_CLI_HOME"] = home,
            ["NUGET_PACKAGES"] = packages,
            ["PATH"] = $"{Path.Combine(home, ".dotnet", "tools")}:{Environment.GetEnvironmentVariable("PATH")}",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        };

        var outputs = new List<string>();
        int ran = 0;
        try
        {
        foreach (var block in Blocks().Where(b => b.Language == "bash"))
        {
            var script = string.Join("\n", block.Text.Split('\n').Where(l => l.Trim() != "dotnet test"));
            if (string.IsNullOrWhiteSpace(string.Join("", script.Split('\n').Where(l => !l.TrimStart().StartsWith('#'))))) continue;
            var (code, output) = Bash(script, work, environment, TimeSpan.FromMinutes(15));
            Assert.True(code == 0, $"README.md line {block.Line}: exit {code}\n{script}\n---\n{output}");
            outputs.Add(output);
            ran++;
        }

        Assert.True(ran >= 7, $"{ran} command blocks ran"); // guards against a fence the parser stopped recognizing
        Assert.True(File.Exists(Path.Combine(work, "sample.int8.onnx")));
        Assert.True(File.Exists(Path.Combine(work, "sample.report.html")));
        }
        finally
        {
            // What the commands wrote into the checkout (outputs, the packed tool) goes; nothing that was there before.
            foreach (var entry in Directory.EnumerateFileSystemEntries(Root).Where(e => !before.Contains(e)))
            {
                if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
                else File.Delete(entry);
            }
        }

        // The summary the README prints after its first command shows the rows the tool prints now.
        var printed = Blocks().SkipWhile(b => !b.Text.Contains("--output sample.int8.onnx")).Skip(1).First();
        foreach (var label in printed.Text.Split('\n').Select(l => l.Split('│', StringSplitOptions.TrimEntries)).Where(c => c.Length > 2).Select(c => c[1]))
        {
            Assert.True(outputs[0].Contains(label, StringComparison.Ordinal), $"the README's printed summary has a row '{label}' the tool no longer prints");
        }
    }

    [Fact]
    [Trait("Category", TestCategories.Slow)]
    public void Every_csharp_block_compiles_and_runs_against_the_library()
    {
        var work = Scratch();
        var blocks = Blocks().Where(b => b.Language == "csharp").ToList();
        Assert.True(blocks.Count >= 3);
        foreach (var (block, i) in blocks.Select((b, i) => (b, i)))
        {
            var project = Directory.CreateDirectory(Path.Combine(work, "snippets", $"snippet{i}")).FullName;
            File.WriteAllText(Path.Combine(project, $"snippet{i}.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings>
                    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally><NoWarn>CS8321</NoWarn>
                  </PropertyGroup>
                  <ItemGroup>
                    <ProjectReference Include="{Path.Combine(Root, "src", "PtqSharp", "PtqSharp.csproj")}" />
                    <PackageReference Include="Microsoft.ML.OnnxRuntime" Version="1.31.1" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(project, "Program.cs"), block.Text);
            // Run from the scratch folder, so the snippet's sample paths resolve as they do from a checkout.
            var (code, output) = Bash($"dotnet run --project snippets/snippet{i} -c Release", work, new Dictionary<string, string> { ["DOTNET_NOLOGO"] = "1" }, TimeSpan.FromMinutes(10));
            Assert.True(code == 0, $"README.md line {block.Line}: exit {code}\n{block.Text}\n---\n{output}");
        }
    }

    [Fact]
    public void The_config_block_is_the_shipped_config()
    {
        var block = Blocks().Single(b => b.Language == "jsonc");
        Assert.Equal(File.ReadAllText(Path.Combine(Root, "samples", "fashion-mnist", "pot-config.jsonc")), block.Text);
    }

    [Fact]
    public void The_sample_tensors_are_the_preprocessed_validation_images_they_name()
    {
        var sample = Path.Combine(Root, "samples", "fashion-mnist");
        var images = ImageFolderDataset.ByClassFolder(Path.Combine(sample, "validation"),
            new ImagePreprocessing { Mean = [72.9f], Scale = [90f] }.ResolveFor(OnnxModel.Load(Path.Combine(sample, "model.onnx"))));
        var byStem = Enumerable.Range(0, images.Count).ToDictionary(i => Path.GetFileNameWithoutExtension(images.Files[i]));
        var rows = File.ReadAllLines(Path.Combine(sample, "tensors.labels.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        Assert.Equal(100, rows.Count);
        Assert.Equal(rows.Count, Directory.GetFiles(Path.Combine(sample, "tensors")).Length);
        foreach (var row in rows)
        {
            int i = byStem[Path.GetFileNameWithoutExtension(row[0])];
            Assert.Equal(images.Label(i), int.Parse(row[1]));
            Assert.Equal((float[])images.Get(i).Inputs.Values.Single().Data, (float[])Npy.ReadFile(Path.Combine(sample, "tensors", row[0])).Data);
        }
    }
}
