using PtqSharp.Evaluation;
using PtqSharp.Execution;
using PtqSharp.Quantization;
using PtqSharp.Tests.Cli;
using PtqSharp.Tests.Data;

namespace PtqSharp.Tests.Execution;

[Collection("cli")] // the CLI tests read RuntimeOptions.Default, which one test here sets
public class RuntimeOptionsTests
{
    [Fact]
    public void Calibration_runs_on_the_session_options_the_caller_supplies()
    {
        // The callback turns on ONNX Runtime's profiler: profile files in the caller's folder show that the
        // sessions that ran the model were built with the caller's options, after PtqSharp's own settings.
        var profiles = TestPaths.NewTempDir();
        int sessions = 0;
        var runtime = new RuntimeOptions
        {
            ConfigureSession = o =>
            {
                Interlocked.Increment(ref sessions);
                o.IntraOpNumThreads = 1;
                o.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
                o.ProfileOutputPathPrefix = Path.Combine(profiles, "run");
                o.EnableProfiling = true;
            },
        };
        var result = Quantizer.Quantize(TestGraphs.TwoConv().Onnx(), RandomData.Samples(12, [1, 3, 16, 16]),
            new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 8, HoldOutSize = 4, Runtime = runtime });

        Assert.Equal(2, result.Report.OpTypes.Sum(t => t.Quantized));
        Assert.True(sessions >= 2, $"{sessions} sessions used the caller's options"); // calibration and the held-out comparison
        Assert.True(Directory.GetFiles(profiles, "run*.json").Length >= 2);

        // Options given to one call do not leak into the next.
        int before = sessions;
        Quantizer.Quantize(TestGraphs.TwoConv().Onnx(), RandomData.Samples(12, [1, 3, 16, 16]),
            new QuantizationOptions { LatencyAware = Structural.LatencyOff, SubsetSize = 8, HoldOutSize = 4 });
        Assert.Equal(before, sessions);
    }

    [Fact]
    public void The_default_options_serve_calls_that_give_none_and_benchmarks_take_their_own()
    {
        int defaults = 0, own = 0;
        var previous = RuntimeOptions.Default;
        try
        {
            RuntimeOptions.Default = new RuntimeOptions { ConfigureSession = _ => Interlocked.Increment(ref defaults) };
            LatencyBenchmark.Run(TestGraphs.TwoConv().Onnx(), new BenchmarkOptions { Runs = 2, Warmup = 1 });
            Assert.Equal(1, defaults);
            LatencyBenchmark.Run(TestGraphs.TwoConv().Onnx(), new BenchmarkOptions { Runs = 2, Warmup = 1, Runtime = new RuntimeOptions { ConfigureSession = _ => own++ } });
            Assert.Equal((1, 1), (defaults, own));
        }
        finally
        {
            RuntimeOptions.Default = previous;
        }
    }

    [Fact]
    public void A_provider_the_native_runtime_lacks_is_refused_naming_those_it_has()
    {
        Assert.Contains("CPUExecutionProvider", RuntimeOptions.AvailableProviders);
        Assert.Null(RuntimeOptions.ForProvider("cpu").ConfigureSession);
        var e = Assert.Throws<PtqException>(() => RuntimeOptions.ForProvider("NoSuchProvider"));
        Assert.Contains("'NoSuchProvider'", e.Message);
        Assert.Contains("offers CPU", e.Message);
    }

    [Fact]
    public void The_tool_runs_on_the_provider_asked_for_or_says_which_it_has()
    {
        var (code, output) = CliRunner.Run("benchmark", "--model", TestPaths.SampleModel, "--runs", "3", "--warmup", "1", "--provider", "CPU");
        Assert.True(code == 0, output);
        (code, output) = CliRunner.Run("benchmark", "--model", TestPaths.SampleModel, "--runs", "3", "--provider", "CUDA");
        Assert.Equal(2, code);
        Assert.Contains("Execution provider 'CUDA'", output);
    }
}
