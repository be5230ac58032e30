using System.Text;
using PtqSharp.Hardware;

namespace PtqSharp.Tests.Hardware;

public class HardwareConfigTests
{
    private static HardwareConfig Parse(string json) => HardwareConfig.Parse(new MemoryStream(Encoding.UTF8.GetBytes(json)), "my.json");

    private const string Valid = """
        {
          // comments are allowed
          "name": "Mine",
          "activations": { "bits": 8, "mode": "asymmetric" },
          "weights": [ { "bits": 8, "granularity": "per_channel", "narrow_range": true, "signed": true } ],
          "operations": { "Conv": { "inputs": [0, 1], "bias": 2, "quantize_output": true } },
          "pass_through": ["MaxPool"],
        }
        """;

    [Fact]
    public void Every_built_in_device_loads_and_vpu_is_npu()
    {
        foreach (var device in Enum.GetValues<TargetDevice>())
        {
            var rules = HardwareConfig.For(device);
            Assert.NotEmpty(rules.Operations);
            Assert.NotEmpty(rules.Activations);
            Assert.NotEmpty(rules.Weights);
        }

        Assert.Equal("NPU", HardwareConfig.For(TargetDevice.Vpu).Name);
        Assert.Equal(TargetDevice.CpuSpr, TargetDeviceNames.Parse("cpu_spr", "x"));
        Assert.Equal(TargetDevice.CpuSpr, TargetDeviceNames.Parse("CPU-SPR", "x"));
    }

    [Fact]
    public void A_user_file_parses_with_comments_and_defaults()
    {
        var rules = Parse(Valid);
        Assert.Equal("Mine", rules.Name);
        Assert.Equal(new QuantizerConfig(8, QuantizationMode.Asymmetric, Granularity.PerTensor, false, false), Assert.Single(rules.Activations));
        Assert.Equal(Granularity.PerChannel, rules.WeightsFor("Conv")[0].Granularity);
        Assert.Contains("MaxPool", rules.PassThrough);
        Assert.False(rules.OverflowFix);
        Assert.Equal(1, rules.DepthwiseChannelMultiple);
        Assert.Equal(16, Parse(Valid.Replace("\"name\": \"Mine\",", "\"name\": \"Mine\", \"depthwise_channel_multiple\": 16,")).DepthwiseChannelMultiple);
        Assert.False(rules.SwishAsQuickGelu);
        Assert.True(Parse(Valid.Replace("\"name\": \"Mine\",", "\"name\": \"Mine\", \"swish_as_quick_gelu\": true,")).SwishAsQuickGelu);
        var e = Assert.Throws<PtqException>(() => Parse(Valid.Replace("\"name\": \"Mine\",", "\"name\": \"Mine\", \"swish_as_quick_gelu\": 1,")));
        Assert.Contains("'swish_as_quick_gelu'", e.Message);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1000")]
    [InlineData("\"16\"")]
    public void A_depthwise_channel_multiple_out_of_range_is_named(string value)
    {
        var e = Assert.Throws<PtqException>(() => Parse(Valid.Replace("\"name\": \"Mine\",", $"\"name\": \"Mine\", \"depthwise_channel_multiple\": {value},")));
        Assert.Contains("'depthwise_channel_multiple'", e.Message);
        Assert.Contains("from 1 to 64", e.Message);
    }

    [Theory]
    [InlineData("\"quantise_output\": true", "operations.Conv.quantise_output", "not a known key")]
    [InlineData("\"activations\": [ { \"bits\": 4 } ]", "operations.Conv.activations[0].bits", "must be 8 or 16")]
    [InlineData("\"weights\": { \"mode\": \"sym\" }", "operations.Conv.weights.mode", "\"symmetric\", \"asymmetric\"")]
    [InlineData("\"inputs\": \"some\"", "operations.Conv.inputs", "list of input indices or \"all\"")]
    [InlineData("\"bias\": -1", "operations.Conv.bias", "must be an input index")]
    public void A_bad_key_is_named_with_what_it_should_be(string conv, string key, string problem)
    {
        var json = Valid.Replace("\"inputs\": [0, 1], \"bias\": 2, \"quantize_output\": true", conv);
        var e = Assert.Throws<PtqException>(() => Parse(json));
        Assert.Contains("my.json", e.Message);
        Assert.Contains($"'{key}'", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Missing_sections_and_broken_json_are_named()
    {
        Assert.Contains("'operations' is missing", Assert.Throws<PtqException>(() => Parse("{ \"name\": \"x\", \"activations\": {}, \"weights\": {} }")).Message);
        Assert.Contains("not valid JSON (line 2)", Assert.Throws<PtqException>(() => Parse("{\n \"name\": }")).Message);
        Assert.Contains("does not exist", Assert.Throws<PtqException>(() => HardwareConfig.Load("/no/such.json")).Message);
    }
}
