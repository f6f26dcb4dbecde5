using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Checkpoints;

/// <summary>
/// Copies named tensors into a module's parameters and persistent buffers, checking names and
/// shapes first so that nothing is half-loaded; mismatches are reported as one readable diff.
/// </summary>
public static class WeightLoader
{
    /// <param name="source">Name of the checkpoint, for messages.</param>
    /// <param name="strict">When false, missing and unexpected names are tolerated (shape mismatches never are).</param>
    public static LoadReport Load(nn.Module module, IEnumerable<KeyValuePair<string, Tensor>> weights, string source, bool strict = true)
    {
        var target = module.state_dict();
        var given = new Dictionary<string, Tensor>();
        foreach (var (name, tensor) in weights) given[name] = tensor;

        var missing = target.Keys.Where(k => !given.ContainsKey(k)).ToList();
        var unexpected = given.Keys.Where(k => !target.ContainsKey(k)).ToList();
        var mismatched = target.Keys.Where(given.ContainsKey)
            .Where(k => !target[k].shape.SequenceEqual(given[k].shape))
            .Select(k => $"{k}: checkpoint {Shapes.Format(given[k].shape)}, model {Shapes.Format(target[k].shape)}")
            .ToList();
        var report = new LoadReport(missing, unexpected, mismatched);
        if (mismatched.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
            throw new CheckpointMismatchException(source, report);
        // A NaN weight turns every answer it touches into NaN (an empty mask, an IoU that JSON cannot
        // hold) far from its cause; say so at the file instead.
        var nonFinite = target.Keys.Where(given.ContainsKey).Where(k => !AllFinite(given[k])).ToList();
        if (nonFinite.Count > 0)
            throw new CheckpointFormatException(source,
                $"holds NaN or infinite values in {nonFinite.Count} tensor(s), e.g. '{nonFinite[0]}': the file is corrupt, or the training that wrote it diverged");

        using (no_grad())
        {
            foreach (var (name, dest) in target)
            {
                if (!given.TryGetValue(name, out var value)) continue;
                using var converted = value.to(dest.dtype, dest.device);
                dest.copy_(converted);
            }
        }
        return report;
    }

    static bool AllFinite(Tensor t)
    {
        if (!t.is_floating_point()) return true;
        using var finite = isfinite(t);
        using var all = finite.all();
        return all.item<bool>();
    }
}
