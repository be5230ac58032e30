using System.Diagnostics;

namespace PtqSharp.Tests;

public class TempFoldersTests
{
    [Fact]
    public void Folders_of_ended_processes_are_swept_once_stale_and_no_others()
    {
        var root = TestPaths.NewTempDir();
        using var ended = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        ended.WaitForExit();
        using var alive = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;

        string Make(string name, TimeSpan age)
        {
            var dir = Path.Combine(root, name);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "weights.data"), "x");
            Directory.SetLastWriteTimeUtc(dir, DateTime.UtcNow - age);
            return dir;
        }

        var stale = Make($"ptq-weights-{ended.Id}-abc123", TimeSpan.FromHours(2));
        var recent = Make($"ptq-session-{ended.Id}-def456", TimeSpan.FromMinutes(5));
        var ours = Make($"ptq-weights-{Environment.ProcessId}-ghi789", TimeSpan.FromHours(2));
        var running = Make($"ptq-optimize-{alive.Id}-jkl012", TimeSpan.FromHours(2));
        var notOurs = Make("ptq-test-mno345", TimeSpan.FromHours(2));

        int deleted = TempFolders.Sweep(root, TimeSpan.FromHours(1));
        alive.Kill();

        Assert.Equal(1, deleted);

        Assert.False(Directory.Exists(stale));
        Assert.All(new[] { recent, ours, running, notOurs }, d => Assert.True(Directory.Exists(d), d));
    }

    [Fact]
    public void A_new_folder_carries_the_process_id()
    {
        var dir = TempFolders.Create("ptq-weights-");
        try
        {
            Assert.StartsWith($"ptq-weights-{Environment.ProcessId}-", dir.Name);
        }
        finally
        {
            dir.Delete();
        }
    }
}
