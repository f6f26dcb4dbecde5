using System.Text.Json;
using System.Text.Json.Nodes;
using SegSam.IO;

namespace SegSam.Reporting;

/// <summary>
/// The entries of the trainer's train_log.jsonl: step lines (with "loss") and "epoch_end" lines.
/// Lines of any other kind are skipped, so a log with entries added later still reads.
/// </summary>
public sealed record TrainingLog(IReadOnlyList<TrainingStep> Steps, IReadOnlyList<EpochEnd> Epochs)
{
    public static TrainingLog Read(string path) => Parse(InputFile.ReadAllLines(path), path);

    /// <param name="source">Names the log in error messages.</param>
    public static TrainingLog Parse(IEnumerable<string> lines, string source)
    {
        var steps = new List<TrainingStep>();
        var epochs = new List<EpochEnd>();
        int number = 0;
        foreach (string line in lines)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string where = $"{source}: line {number}";
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(line);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{where}: not valid JSON ({e.Message})", e);
            }
            if (node is not JsonObject entry) throw new InvalidDataException($"{where}: expected a JSON object");

            if (entry.ContainsKey("epoch_end"))
                epochs.Add(new EpochEnd(Integer(entry, "epoch_end", where), Integer(entry, "step", where),
                    Number(entry, "mean_loss", where), Number(entry, "elapsed_s", where)));
            else if (entry["loss"] is JsonObject loss)
                steps.Add(new TrainingStep(Integer(entry, "epoch", where), Integer(entry, "step", where),
                    Number(entry, "lr", where), Number(entry, "elapsed_s", where),
                    loss.ToDictionary(p => p.Key, p => Number(loss, p.Key, where), StringComparer.Ordinal)));
            else if (entry.ContainsKey("loss"))
                throw new InvalidDataException($"{where}: \"loss\" is not an object of loss parts");
        }
        return new TrainingLog(steps, epochs);
    }

    static double Number(JsonObject entry, string key, string where)
    {
        if (entry[key] is JsonValue value && value.TryGetValue(out double d)) return d;
        throw new InvalidDataException($"{where}: \"{key}\" is missing or not a number");
    }

    static int Integer(JsonObject entry, string key, string where)
    {
        if (entry[key] is JsonValue value && value.TryGetValue(out int i)) return i;
        throw new InvalidDataException($"{where}: \"{key}\" is missing or not an integer");
    }
}
