using PtqSharp.Quantization;

namespace PtqSharp.Tests.Quantization;

public class RangeMathTests
{
    [Fact]
    public void Symmetric_signed_activation_is_uint8_centred_on_128_and_zero_is_exact()
    {
        var p = RangeMath.SymmetricActivation(absMax: 2.54f, unsigned: false);
        Assert.Equal(QuantizedType.UInt8, p.Type);
        Assert.Equal(128, p.ZeroPoint[0]);
        Assert.Equal(2.54f / 127, p.Scale[0], 6);
        Assert.Equal(0f, p.Dequantize(p.Quantize(0f)));
        Assert.Equal(2.54f, p.Dequantize(p.Quantize(2.54f)), 5);
        Assert.Equal(-2.54f, p.Dequantize(p.Quantize(-2.54f)), 5);
    }

    [Fact]
    public void Symmetric_unsigned_activation_uses_the_full_uint8_range()
    {
        var p = RangeMath.SymmetricActivation(absMax: 5.1f, unsigned: true);
        Assert.Equal(0, p.ZeroPoint[0]);
        Assert.Equal(5.1f / 255, p.Scale[0], 6);
        Assert.Equal(255, p.Quantize(5.1f));
        Assert.Equal(0, p.Quantize(-1f)); // clamps, never wraps
    }

    [Theory]
    [InlineData(-1f, 3f)]
    [InlineData(0.5f, 3f)]   // range widened to include zero
    [InlineData(-4f, -1f)]   // ditto, on the other side
    [InlineData(-0.013f, 7.7f)]
    public void Asymmetric_activation_represents_zero_exactly_and_covers_the_range(float min, float max)
    {
        var p = RangeMath.AsymmetricActivation(min, max);
        Assert.Equal(0f, p.Dequantize(p.Quantize(0f)));
        Assert.InRange(p.ZeroPoint[0], 0, 255);
        float lo = MathF.Min(min, 0), hi = MathF.Max(max, 0);
        Assert.True(MathF.Abs(p.Dequantize(p.Quantize(lo)) - lo) <= p.Scale[0] / 2 + 1e-6f);
        Assert.True(MathF.Abs(p.Dequantize(p.Quantize(hi)) - hi) <= p.Scale[0] / 2 + 1e-6f);
    }

    [Fact]
    public void Weights_are_narrow_range_per_channel()
    {
        var p = RangeMath.SymmetricWeights([1.27f, 0.5f], levelHigh: 127, narrowRange: true, axis: 0);
        Assert.Equal(-127, p.QMin);
        Assert.Equal(127, p.QMax);
        Assert.Equal(0.01f, p.Scale[0], 6);
        Assert.Equal(0.5f / 127, p.Scale[1], 6);
        Assert.Equal(-127, p.Quantize(-5f, 0));
        Assert.Equal(0, p.ZeroPoint[1]);
    }

    [Fact]
    public void Overflow_fix_weights_stay_within_plus_minus_64()
    {
        var p = RangeMath.SymmetricWeights([1f], levelHigh: 64, narrowRange: true, axis: null);
        Assert.Equal(64, p.Quantize(1f));
        Assert.Equal(-64, p.Quantize(-2f));
        // 2 x 255 x 64 fits the int16 pair sum of VPMADDUBSW.
        Assert.True(2 * 255 * p.QMax <= short.MaxValue);
    }

    [Fact]
    public void Degenerate_ranges_get_usable_scales()
    {
        var zeroChannel = RangeMath.SymmetricWeights([0f, 1f], 127, true, 0);
        Assert.True(zeroChannel.Scale[0] > 0);
        Assert.Equal(0, zeroChannel.Quantize(0f, 0));

        var allZero = RangeMath.AsymmetricActivation(0f, 0f);
        Assert.True(allZero.Scale[0] > 0 && float.IsFinite(allZero.Scale[0]));
        Assert.Equal(0f, allZero.Dequantize(allZero.Quantize(0f)));

        var tiny = RangeMath.SymmetricActivation(1e-30f, unsigned: false);
        Assert.True(tiny.Scale[0] >= RangeMath.MinScale);
    }

    [Fact]
    public void Bias_scale_is_input_scale_times_weight_scale()
    {
        var p = RangeMath.Bias(0.02f, [0.5f, 0.25f], axis: 0);
        Assert.Equal(QuantizedType.Int32, p.Type);
        Assert.Equal(0.01f, p.Scale[0], 7);
        Assert.Equal(0.005f, p.Scale[1], 7);
        Assert.Equal(100, p.Quantize(1f, 0));
    }

    [Fact]
    public void Minimum_weight_scale_keeps_large_biases_inside_int32()
    {
        float inputScale = 1e-6f, bias = 1e6f;
        float minScale = RangeMath.MinWeightScaleForBias(bias, inputScale);
        Assert.True(bias / (inputScale * minScale) <= int.MaxValue);
    }
}
