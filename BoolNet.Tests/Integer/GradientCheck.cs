using BoolNet.Layers;

namespace BoolNet.Tests.Integer;

/// <summary>
/// Checks a layer's backward against central finite differences of L = sum(r .* forward(x)) for a
/// random r: real inputs and parameters are perturbed by +-epsilon, integer parameters by +-1 (exact
/// for layers linear in their weights).
/// </summary>
internal static class GradientCheck
{
    public static float[] Random(Random random, int count, double amplitude = 1)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * amplitude);
        return values;
    }

    private static double Loss(ILayer layer, float[] input, int count, float[] weights)
    {
        var context = new LayerContext { Training = true, Threads = 1 };
        float[] output = layer.Forward(Batch.FromReal(input, count, layer.InputShape), context).Real!;
        double loss = 0;
        for (int i = 0; i < weights.Length; i++) loss += (double)weights[i] * output[i];
        return loss;
    }

    /// <summary>Runs the check on up to <paramref name="probes"/> coordinates of each tensor.</summary>
    public static void Check(ILayer layer, float[] input, int count, int seed, double epsilon = 1e-2, double tolerance = 2e-3, int probes = 25)
    {
        var random = new Random(seed);
        float[] weights = Random(random, count * layer.OutputShape.Size);
        var context = new LayerContext { Training = true, Threads = 1, NeedInputGradient = true };
        layer.Forward(Batch.FromReal(input, count, layer.InputShape), context);
        float[] inputGradient = (float[])layer.Backward(weights, context)!.Clone();
        var parameterGradients = layer.Parameters.Select(p => p switch
        {
            IntegerParameter integer => (float[])integer.Gradient.Clone(),
            RealParameter real => (float[])real.Gradient.Clone(),
            _ => throw new NotSupportedException(),
        }).ToList();

        void Compare(double analytic, double numeric, string what)
        {
            double scale = Math.Max(1, Math.Max(Math.Abs(analytic), Math.Abs(numeric)));
            Assert.That(analytic, Is.EqualTo(numeric).Within(tolerance * scale), what);
        }

        for (int probe = 0; probe < Math.Min(probes, input.Length); probe++)
        {
            int i = random.Next(input.Length);
            float saved = input[i];
            input[i] = (float)(saved + epsilon);
            double plus = Loss(layer, input, count, weights);
            input[i] = (float)(saved - epsilon);
            double minus = Loss(layer, input, count, weights);
            input[i] = saved;
            Compare(inputGradient[i], (plus - minus) / (2 * epsilon), $"dL/dx[{i}]");
        }
        for (int t = 0; t < layer.Parameters.Count; t++)
        {
            Parameter parameter = layer.Parameters[t];
            for (int probe = 0; probe < Math.Min(probes, parameter.Count); probe++)
            {
                int i = random.Next(parameter.Count);
                double numeric;
                if (parameter is IntegerParameter integer)
                {
                    int saved = integer.Value[i];
                    integer.Value[i] = saved + 1;
                    double plus = Loss(layer, input, count, weights);
                    integer.Value[i] = saved - 1;
                    double minus = Loss(layer, input, count, weights);
                    integer.Value[i] = saved;
                    numeric = (plus - minus) / 2;
                }
                else
                {
                    var real = (RealParameter)parameter;
                    float saved = real.Value[i];
                    real.Value[i] = (float)(saved + epsilon);
                    double plus = Loss(layer, input, count, weights);
                    real.Value[i] = (float)(saved - epsilon);
                    double minus = Loss(layer, input, count, weights);
                    real.Value[i] = saved;
                    numeric = (plus - minus) / (2 * epsilon);
                }
                Compare(parameterGradients[t][i], numeric, $"dL/d{parameter.Name}[{i}]");
            }
        }
    }
}
