namespace SegSam.Checkpoints;

/// <summary>
/// Finds the model weights inside an unpickled torch.save object: the top-level dict when it
/// holds tensors, otherwise a dict of tensors under a conventional wrapper key ('state_dict',
/// 'model', …, up to two levels deep). Training extras (epoch, optimizer state) are ignored.
/// </summary>
internal static class StateDictLocator
{
    private static readonly string[] WrapperKeys = { "state_dict", "model", "model_state_dict", "module", "net" };

    private const string DataParallelPrefix = "module.";

    /// <summary>Tensor entries of the chosen dict, in file order, with a shared 'module.' prefix removed.</summary>
    public static List<(string Name, TensorSpec Spec)> Locate(object? root, string path)
    {
        PyDict? chosen = null;
        if (root is PyDict top)
        {
            if (top.Count == 0 || top.Items.All(kv => kv.Value is TensorSpec))
                chosen = top;
            else
                chosen = FindWrapped(top, depth: 2) ?? (HasTensors(top) ? top : null);
        }

        if (chosen is null)
            throw new CheckpointFormatException(path,
                "contains no state dict: expected a dict of tensors at the top level or under one of the keys " +
                $"{string.Join(", ", WrapperKeys.Select(k => $"'{k}'"))}; found {Summarize(root)}");

        var entries = new List<(string, TensorSpec)>(chosen.Count);
        foreach (var (key, value) in chosen.Items)
        {
            // Non-tensor values (e.g. '_metadata', step counters) are not weights.
            if (key is string name && value is TensorSpec spec) entries.Add((name, spec));
        }

        // nn.DataParallel / DistributedDataParallel checkpoints prefix every key with 'module.'.
        if (entries.Count > 0 && entries.All(e => e.Item1.StartsWith(DataParallelPrefix, StringComparison.Ordinal)))
            entries = entries.Select(e => (e.Item1[DataParallelPrefix.Length..], e.Item2)).ToList();
        return entries;
    }

    private static PyDict? FindWrapped(PyDict dict, int depth)
    {
        foreach (string key in WrapperKeys)
            if (dict.TryGet(key, out var inner) && inner is PyDict d && HasTensors(d))
                return d;
        if (depth <= 1) return null;
        foreach (string key in WrapperKeys)
            if (dict.TryGet(key, out var inner) && inner is PyDict d && FindWrapped(d, depth - 1) is { } found)
                return found;
        return null;
    }

    private static bool HasTensors(PyDict dict) => dict.Items.Any(kv => kv.Key is string && kv.Value is TensorSpec);

    private static string Summarize(object? root)
    {
        if (root is not PyDict d) return $"a top-level {PyKeyComparer.Describe(root)}";
        var keys = d.Items.Take(10).Select(kv => kv.Key is string s ? $"'{s}'" : PyKeyComparer.Describe(kv.Key));
        return $"a dict with keys [{string.Join(", ", keys)}{(d.Count > 10 ? ", …" : "")}]";
    }
}
