using Onnx;
using PtqSharp.Onnx;

namespace PtqSharp.Statistics;

/// <summary>
/// A 2-D Conv's receptive field and how its positions step (its input channels, kernel, strides, pads top, left,
/// bottom, right, and dilations, as its attributes give them), plus <c>Subsample</c>: a patch statistic reads only
/// every Subsample-th output position along each axis (1: all).
/// </summary>
internal readonly record struct ConvGeometry(
    int InChannels, int KernelH, int KernelW, int StrideH, int StrideW,
    int PadTop, int PadLeft, int PadBottom, int PadRight, int DilationH, int DilationW, int Subsample)
{
    /// <summary>Patches of up to this many values are read at every position; larger ones at fewer (see <see cref="Of"/>).</summary>
    private const int FullPositionsUpTo = 48;

    /// <summary>Larger patches are not measured: a K x K matrix per sample and a K x K one-hot kernel would outgrow a first layer's cost.</summary>
    private const int MaxPatchSize = 1024;

    /// <summary>Values per patch: the Conv's weights per output channel.</summary>
    public int PatchSize => InChannels * KernelH * KernelW;

    /// <summary>
    /// The geometry of a plain 2-D Conv (one group, explicit pads) with weight dims [Cout, Cin, kh, kw]; null for any
    /// other, or one whose patches hold over 1024 values. Covariance work grows with the patch size squared times the positions, so patches over
    /// <see cref="FullPositionsUpTo"/> values are read at every Subsample-th position, Subsample = ceil(K / 48) (a 7x7
    /// RGB stem: K = 147, every 4th row and column), which still leaves hundreds of patches per sample for a K x K matrix.
    /// </summary>
    public static ConvGeometry? Of(NodeProto conv, IReadOnlyList<long> weightDims)
    {
        if (weightDims.Count != 4 || conv.GetInt("group", 1) != 1) return null;
        if (conv.ExplicitPads() is not { } explicitPads) return null; // SAME pads depend on the stride, which the statistic changes

        long[] strides = conv.GetInts("strides") ?? [1, 1], dilations = conv.GetInts("dilations") ?? [1, 1];
        long[] pads = explicitPads.Length == 0 ? [0, 0, 0, 0] : explicitPads;
        if (strides.Length != 2 || dilations.Length != 2 || pads.Length != 4) return null;
        long patchSize = weightDims[1] * weightDims[2] * weightDims[3];
        if (patchSize is < 1 or > MaxPatchSize) return null;
        int patch = (int)patchSize;
        int subsample = Math.Max(1, (patch + FullPositionsUpTo - 1) / FullPositionsUpTo);
        return new ConvGeometry((int)weightDims[1], (int)weightDims[2], (int)weightDims[3], (int)strides[0], (int)strides[1],
            (int)pads[0], (int)pads[1], (int)pads[2], (int)pads[3], (int)dilations[0], (int)dilations[1], subsample);
    }
}
