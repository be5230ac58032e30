using System.Numerics.Tensors;
using System.Text;

/// <summary>
/// PaddleOCR's CTCLabelDecode for the recognizer's [1, T, C] output: the most likely class per time step,
/// repeats collapsed, blanks (class 0) dropped, class k read as characters[k - 1].
/// </summary>
internal static class CtcGreedy
{
    public static string Decode(float[] probabilities, IReadOnlyList<string> characters)
    {
        int classes = characters.Count + 1;
        if (probabilities.Length % classes != 0) throw new ArgumentException($"Output of {probabilities.Length} values is not a multiple of {classes} classes.");
        var text = new StringBuilder();
        int previous = -1;
        for (int t = 0; t < probabilities.Length / classes; t++)
        {
            int best = TensorPrimitives.IndexOfMax(probabilities.AsSpan(t * classes, classes));
            if (best != previous && best != 0) text.Append(characters[best - 1]);
            previous = best;
        }

        return text.ToString();
    }
}
