/// <summary>
/// DB post-processing as PaddleOCR does it, with axis-aligned boxes: pixels above 0.3 form connected
/// regions; a region whose mean probability is at least 0.6 becomes a box, grown by the unclip distance
/// area x 1.5 / perimeter (DB predicts shrunk text). Boxes match ground truth at IoU 0.5.
/// </summary>
internal static class TextBoxes
{
    public static List<int[]> FromProbabilityMap(float[] map, int width, int height)
    {
        var label = new int[map.Length];
        var boxes = new List<int[]>();
        var stack = new Stack<int>();
        int next = 0;
        for (int start = 0; start < map.Length; start++)
        {
            if (map[start] <= 0.3f || label[start] != 0) continue;
            next++;
            int x0 = width, y0 = height, x1 = 0, y1 = 0, area = 0;
            double sum = 0;
            stack.Push(start);
            label[start] = next;
            while (stack.Count > 0)
            {
                int p = stack.Pop(), x = p % width, y = p / width;
                (x0, y0, x1, y1) = (Math.Min(x0, x), Math.Min(y0, y), Math.Max(x1, x), Math.Max(y1, y));
                area++;
                sum += map[p];
                foreach (var q in new[] { x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, y > 0 ? p - width : -1, y < height - 1 ? p + width : -1 })
                {
                    if (q >= 0 && label[q] == 0 && map[q] > 0.3f)
                    {
                        label[q] = next;
                        stack.Push(q);
                    }
                }
            }

            if (area < 10 || sum / area < 0.6) continue;
            double w = x1 - x0 + 1, h = y1 - y0 + 1, distance = w * h * 1.5 / (2 * (w + h));
            boxes.Add([(int)Math.Max(0, x0 - distance), (int)Math.Max(0, y0 - distance), (int)Math.Min(width, x1 + 1 + distance), (int)Math.Min(height, y1 + 1 + distance)]);
        }

        return boxes;
    }

    /// <summary>Greedy one-to-one matches at IoU of at least 0.5.</summary>
    public static int Matches(List<int[]> predicted, int[][] truth)
    {
        var used = new bool[truth.Length];
        int matches = 0;
        foreach (var p in predicted)
        {
            int best = -1;
            double bestIou = 0.5;
            for (int t = 0; t < truth.Length; t++)
            {
                if (used[t]) continue;
                double iou = Iou(p, truth[t]);
                if (iou >= bestIou) (best, bestIou) = (t, iou);
            }

            if (best >= 0)
            {
                used[best] = true;
                matches++;
            }
        }

        return matches;
    }

    private static double Iou(int[] a, int[] b)
    {
        double iw = Math.Max(0, Math.Min(a[2], b[2]) - Math.Max(a[0], b[0])), ih = Math.Max(0, Math.Min(a[3], b[3]) - Math.Max(a[1], b[1]));
        double inter = iw * ih, union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
