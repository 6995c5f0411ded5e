namespace BoolNet.Layers;

/// <summary>
/// Softmax cross-entropy on logits [N, classes] (docs/ALGORITHMS.md section 3):
/// <code>
///   loss = (1/N) sum_k -log softmax(a_k)[y_k]
///   z    = dL/da = (softmax(a) - onehot(y)) / N
/// </code>
/// Choice: the batch MEAN. The optimisation signal q = sum_k z e(x) is then a batch average of
/// per-sample terms, bounded by the fan-in scale and independent of the batch size, so a Boolean
/// learning rate eta transfers across batch sizes (eta * q is the accumulator step).
/// </summary>
public static class SoftmaxCrossEntropy
{
    /// <summary>Returns the summed (not averaged) loss and the number of correct argmax predictions; fills z.</summary>
    public static (double LossSum, int Correct) Compute(ReadOnlySpan<float> logits, ReadOnlySpan<byte> labels, int classes, Span<float> gradient)
    {
        int count = labels.Length;
        double loss = 0;
        int correct = 0;
        Span<double> exps = classes <= 1024 ? stackalloc double[classes] : new double[classes];
        for (int k = 0; k < count; k++)
        {
            ReadOnlySpan<float> a = logits.Slice(k * classes, classes);
            int label = labels[k];
            if (label >= classes) throw new ArgumentException($"label {label} outside 0..{classes - 1}");
            int best = 0;
            float max = a[0];
            for (int c = 1; c < classes; c++)
                if (a[c] > max) { max = a[c]; best = c; }
            if (best == label) correct++;
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += exps[c] = Math.Exp(a[c] - max);
            loss += Math.Log(sum) - (a[label] - max);
            if (!gradient.IsEmpty)
            {
                Span<float> z = gradient.Slice(k * classes, classes);
                for (int c = 0; c < classes; c++) z[c] = (float)((exps[c] / sum - (c == label ? 1 : 0)) / count);
            }
        }
        return (loss, correct);
    }
}
