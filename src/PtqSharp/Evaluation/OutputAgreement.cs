using System.Numerics.Tensors;

namespace PtqSharp.Evaluation;

/// <summary>How closely the quantized model's outputs follow the float model's on the same samples.</summary>
/// <param name="Samples">Samples compared.</param>
/// <param name="MeanCosine">Mean cosine similarity of the outputs (1 is identical direction).</param>
/// <param name="MinCosine">The worst sample's cosine.</param>
/// <param name="SqnrDb">Signal-to-quantization-noise ratio over all samples, in dB (about 6 dB per bit).</param>
/// <param name="Top1Agreement">Share of samples whose top-1 class matches, for classifier outputs; else null.</param>
public sealed record OutputAgreement(int Samples, double MeanCosine, double MinCosine, double SqnrDb, double? Top1Agreement)
{
    /// <summary>Accumulates per-sample comparisons of one output tensor.</summary>
    internal sealed class Accumulator
    {
        private double _cosineSum;
        private double _minCosine = 1.0;
        private double _signal;
        private double _noise;
        private int _argmaxSame;
        private bool _argmaxMeaningful = true;

        public int Count { get; private set; }

        public void Add(ReadOnlySpan<float> reference, ReadOnlySpan<float> candidate)
        {
            double cosine = Cosine(reference, candidate);
            _cosineSum += cosine;
            _minCosine = Math.Min(_minCosine, cosine);
            for (int i = 0; i < reference.Length; i++)
            {
                double d = reference[i] - candidate[i];
                _signal += (double)reference[i] * reference[i];
                _noise += d * d;
            }

            if (reference.Length > 1)
            {
                if (TensorPrimitives.IndexOfMax(reference) == TensorPrimitives.IndexOfMax(candidate)) _argmaxSame++;
            }
            else
            {
                _argmaxMeaningful = false;
            }

            Count++;
        }

        public OutputAgreement Result(bool classifier) => new(
            Count,
            Count == 0 ? double.NaN : _cosineSum / Count,
            Count == 0 ? double.NaN : _minCosine,
            _noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(_signal / _noise),
            classifier && _argmaxMeaningful && Count > 0 ? (double)_argmaxSame / Count : null);
    }

    internal static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        return na == 0 && nb == 0 ? 1.0 : na == 0 || nb == 0 ? 0.0 : dot / Math.Sqrt(na * nb);
    }
}
