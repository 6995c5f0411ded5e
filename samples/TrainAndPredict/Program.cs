// Trains a small Boolean MLP on part of Fashion-MNIST, saves it as a model file, loads it back and predicts.
// Usage: dotnet run --project samples/TrainAndPredict [-- TRAIN_IMAGES TEST_IMAGES]
using BoolNet.Inference;
using BoolNet.Inference.Serialization;
using BoolNet.Training;
using BoolNet.Training.Data;
using BoolNet.Training.Models;

int trainImages = args.Length > 0 ? int.Parse(args[0]) : 2000, testImages = args.Length > 1 ? int.Parse(args[1]) : 500;
Dataset data = DatasetLoader.Load("fashion-mnist"); // Debian's dataset-fashion-mnist package

// The catalogue's default: int8 first layer, Boolean 1024x1024 hidden layer, int8 head.
ModelEntry entry = ModelCatalog.Get(ModelCatalog.DefaultModel);
var network = entry.Build(data.Train.Shape, data.ClassCount, seed: 1);
var trainer = new Trainer(network, entry.Defaults with { Epochs = 1, Threads = 2, TrainLimit = trainImages, TestLimit = testImages });
foreach (EpochResult epoch in trainer.Run(data))
    Console.WriteLine($"epoch {epoch.Epoch}: train accuracy {epoch.TrainAccuracy:P2}, test accuracy {epoch.TestAccuracy:P2}");

// Fold (batch norm + threshold -> integer thresholds), save, load.
string path = Path.Combine(Path.GetTempPath(), "boolnet-sample.bnm");
ModelCodec.Save(path, NetworkFolder.Fold(network));
InferenceModel model = ModelCodec.Load(path);
Console.WriteLine($"saved and loaded {path}: {new FileInfo(path).Length:N0} bytes, {model.Layers.Count} layers");

// Predict: one image, then a batch.
var scores = new float[model.ClassCount];
model.Predict(data.Test.Image(0), scores);
Console.WriteLine($"image 0: predicted {model.ClassNames[InferenceModel.ArgMax(scores)]}, label {data.Test.Labels[0]}");
var batch = new float[testImages * model.ClassCount];
model.Predict(data.Test.Pixels.AsSpan(0, testImages * model.InputShape.Size), testImages, batch, threads: 2);
int correct = Enumerable.Range(0, testImages).Count(i => InferenceModel.ArgMax(batch.AsSpan(i * model.ClassCount, model.ClassCount)) == data.Test.Labels[i]);
Console.WriteLine($"loaded model: {correct} of {testImages} test images right ({100.0 * correct / testImages:F2} %)");
