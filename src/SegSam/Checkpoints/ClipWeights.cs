using System.IO.Compression;
using System.Text.RegularExpressions;
using SegSam.Modeling.Clip;
using TorchSharp;
using static TorchSharp.torch;
using SegSam.IO;

namespace SegSam.Checkpoints;

/// <summary>
/// CLIP ViT weights on disk. Reads safetensors (or a torch.save state dict) in OpenAI's naming or
/// Hugging Face's, converts the latter to the former (q/k/v concatenated into the fused
/// in-projection, the projections transposed), infers the config from the tensor shapes as the
/// reference's build_model does, and loads into <see cref="ClipModel"/>,
/// <see cref="ClipTextTower"/> or <see cref="ClipImageTower"/> with every name and shape
/// checked. Saves our models as safetensors in OpenAI's naming with the config in the metadata.
/// </summary>
public static partial class ClipWeights
{
    /// <summary>Metadata key under which our CLIP safetensors carry the <see cref="ClipConfig"/> JSON.</summary>
    public const string ConfigMetadataKey = "segsam.clip_config";

    /// <summary>What to download when no CLIP weights are at hand.</summary>
    public const string DownloadHint =
        "CLIP ViT-B/32 weights as safetensors, in either naming: open_clip_model.safetensors of the Hugging Face " +
        "repository timm/vit_base_patch32_clip_224.openai (OpenAI's names, as open_clip's ViT-B-32 'openai'), or " +
        "model.safetensors of openai/clip-vit-base-patch32 (Hugging Face transformers' names)";

    // Scalars that the state dict of OpenAI's TorchScript release carries besides the weights
    // (the reference's build_model deletes them).
    static readonly string[] OpenAiExtras = ["input_resolution", "context_length", "vocab_size"];

    /// <summary>
    /// Reads a CLIP checkpoint and returns its tensors under OpenAI's names (the caller owns the
    /// state dict), with the naming it found and the config stored in its metadata, if any.
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file (the message says what to download).</exception>
    /// <exception cref="CheckpointFormatException">Not a readable CLIP checkpoint (TorchScript, ResNet CLIP, unknown names, inconsistent q/k/v).</exception>
    public static StateDict Read(string path, out ClipNaming naming, out ClipConfig? storedConfig)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"CLIP checkpoint not found: {path}. Download {DownloadHint}.", path);
        var format = CheckpointFile.DetectFormat(path);
        if (format == CheckpointFormat.TorchZip && IsTorchScript(path))
            throw new CheckpointFormatException(path,
                "is a TorchScript archive (as OpenAI's released ViT-B-32.pt is); SegSam reads state dicts, not scripted " +
                $"modules. Use {DownloadHint}; or convert this file once with PyTorch: python3 -c \"import torch; " +
                "torch.save(torch.jit.load('ViT-B-32.pt', map_location='cpu').state_dict(), 'ViT-B-32.state_dict.pth')\"");
        storedConfig = CheckpointFile.ReadMetadata(path).TryGetValue(ConfigMetadataKey, out var json)
            ? ClipConfig.FromJson(json, $"{path} (metadata)")
            : null;
        var raw = CheckpointFile.Load(path);
        try
        {
            naming = DetectNaming(raw, path);
        }
        catch
        {
            raw.Dispose();
            throw;
        }
        if (naming == ClipNaming.OpenAi)
        {
            foreach (var extra in OpenAiExtras) raw.Remove(extra);
            return raw;
        }
        // The conversion copies what it keeps; the file's own tensors are freed here.
        using (raw) return FromHuggingFace(raw, path);
    }

    /// <summary>
    /// The config of a checkpoint's OpenAI-named tensors, as the reference's build_model infers it:
    /// widths, layers, patch size, resolution, context, vocabulary and embedding width from the
    /// shapes; heads = width / 64 (the reference's rule; other head widths need an explicit
    /// config). A tower absent from the file keeps ViT-B/32's values, unless required.
    /// </summary>
    public static ClipConfig InferConfig(IReadOnlyDictionary<string, long[]> shapes, string source,
        bool requireText = true, bool requireVision = true)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        long[] Shape(string name, int rank) =>
            shapes.TryGetValue(name, out var s)
                ? s.Length == rank ? s : throw new CheckpointFormatException(source, $"'{name}' has shape {Shapes.Format(s)}, expected {rank} dimensions")
                : throw new CheckpointFormatException(source, $"is missing '{name}', needed to infer the CLIP config");
        int Heads(long width, string what) => width % ClipConfig.ReferenceHeadWidth == 0
            ? (int)(width / ClipConfig.ReferenceHeadWidth)
            : throw new CheckpointFormatException(source,
                $"{what} width {width} is not a multiple of 64, so its number of heads cannot be inferred as the reference does; pass a ClipConfig");

        bool hasText = shapes.ContainsKey("token_embedding.weight"), hasVision = shapes.ContainsKey("visual.conv1.weight");
        if (requireText && !hasText) Shape("token_embedding.weight", 2);
        if (requireVision && !hasVision) Shape("visual.conv1.weight", 4);
        var config = ClipConfig.ViTB32;
        if (hasVision)
        {
            var conv = Shape("visual.conv1.weight", 4);
            long tokens = Shape("visual.positional_embedding", 2)[0];
            long grid = (long)Math.Round(Math.Sqrt(tokens - 1));
            if (grid * grid + 1 != tokens)
                throw new CheckpointFormatException(source, $"visual.positional_embedding has {tokens} rows, not a square grid plus the class token");
            config = config with
            {
                VisionWidth = (int)conv[0],
                VisionPatchSize = (int)conv[^1],
                ImageResolution = (int)(conv[^1] * grid),
                VisionLayers = CountBlocks(shapes.Keys, "visual.transformer.resblocks."),
                VisionHeads = Heads(conv[0], "vision"),
                EmbedDim = (int)Shape("visual.proj", 2)[1],
            };
        }
        if (hasText)
        {
            long width = Shape("ln_final.weight", 1)[0];
            config = config with
            {
                ContextLength = (int)Shape("positional_embedding", 2)[0],
                VocabSize = (int)Shape("token_embedding.weight", 2)[0],
                TransformerWidth = (int)width,
                TransformerLayers = CountBlocks(shapes.Keys, "transformer.resblocks."),
                TransformerHeads = Heads(width, "text"),
                EmbedDim = (int)Shape("text_projection", 2)[1],
            };
        }
        config.Validate(source);
        return config;
    }

    /// <summary>The architecture of a CLIP checkpoint: the config in its metadata, else inferred from its shapes.</summary>
    public static ClipConfig ReadConfig(string path)
    {
        using var weights = Read(path, out _, out var stored);
        return stored ?? InferConfig(weights.ToDictionary(kv => kv.Key, kv => kv.Value.shape), path, requireText: true, requireVision: true);
    }

    /// <summary>
    /// Builds a <see cref="ClipModel"/> and loads a checkpoint into it (eval mode). The config is
    /// <paramref name="config"/>, else the one in the file's metadata, else inferred from the shapes.
    /// </summary>
    public static ClipModel Load(string path, ClipConfig? config = null) =>
        LoadNew(path, config, c => new ClipModel(c), requireText: true, requireVision: true);

    /// <summary>Builds the text tower alone from a checkpoint (a whole CLIP or a text-only file).</summary>
    public static ClipTextTower LoadText(string path, ClipConfig? config = null) =>
        LoadNew(path, config, c => new ClipTextTower(c), requireText: true, requireVision: false);

    /// <summary>Builds the image tower alone from a checkpoint (a whole CLIP or a vision-only file).</summary>
    public static ClipImageTower LoadImage(string path, ClipConfig? config = null) =>
        LoadNew(path, config, c => new ClipImageTower(c), requireText: false, requireVision: true);

    static T LoadNew<T>(string path, ClipConfig? config, Func<ClipConfig, T> build, bool requireText, bool requireVision)
        where T : nn.Module
    {
        using var weights = Read(path, out _, out var stored);
        config ??= stored ?? InferConfig(weights.ToDictionary(kv => kv.Key, kv => kv.Value.shape), path, requireText, requireVision);
        var module = build(config);
        try
        {
            LoadWeights(module, weights, path);
            module.eval();
        }
        catch
        {
            module.Dispose();
            throw;
        }
        return module;
    }

    /// <summary>Loads a checkpoint file into an existing CLIP module (see <see cref="LoadWeights(nn.Module, StateDict, string)"/>).</summary>
    public static LoadReport LoadWeights(nn.Module module, string path)
    {
        using var weights = Read(path, out _, out _);
        return LoadWeights(module, weights, path);
    }

    /// <summary>
    /// Copies OpenAI-named weights into a <see cref="ClipModel"/> (all of them),
    /// <see cref="ClipTextTower"/> (the text ones; <c>visual.*</c> and <c>logit_scale</c> are
    /// ignored) or <see cref="ClipImageTower"/> (the <c>visual.*</c> ones). Every weight of the
    /// module must be present with its exact shape and nothing else may be left over, except LoRA
    /// factors: those the module has and the file lacks keep their values (B = 0: no change).
    /// Nothing is copied unless everything matches; the error names <paramref name="source"/>.
    /// </summary>
    public static LoadReport LoadWeights(nn.Module module, StateDict weights, string source)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(weights);
        Func<string, string?> select = module switch
        {
            ClipModel => name => name,
            ClipTextTower => name => name.StartsWith(ClipNames.VisualPrefix, StringComparison.Ordinal) || name == "logit_scale" ? null : name,
            ClipImageTower => name => name.StartsWith(ClipNames.VisualPrefix, StringComparison.Ordinal) ? name[ClipNames.VisualPrefix.Length..] : null,
            _ => throw new ArgumentException($"not a CLIP module: {module.GetType().Name}", nameof(module)),
        };
        string prefix = module is ClipImageTower ? ClipNames.VisualPrefix : "";
        var given = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in weights)
            if (select(name) is { } local) given[ClipNames.FromOpenAi(local)] = tensor;

        var target = module.state_dict();
        string Named(string local) => prefix + ClipNames.ToOpenAi(local);
        var missing = target.Keys.Where(k => !given.ContainsKey(k) && !ClipNames.IsLoraFactor(k)).Select(Named).ToList();
        var unexpected = given.Keys.Where(k => !target.ContainsKey(k))
            .Select(k => ClipNames.IsLoraFactor(k) ? $"{Named(k)} (a LoRA factor: apply ClipLora to the model before loading)" : Named(k))
            .ToList();
        var mismatched = target.Keys.Where(given.ContainsKey)
            .Where(k => !target[k].shape.SequenceEqual(given[k].shape))
            .Select(k => $"{Named(k)}: checkpoint {Shapes.Format(given[k].shape)}, model {Shapes.Format(target[k].shape)}")
            .ToList();
        var report = new LoadReport(missing, unexpected, mismatched);
        if (!report.IsExact) throw new CheckpointMismatchException(source, report);
        return WeightLoader.Load(module, given, source, strict: false);
    }

    /// <summary>
    /// Writes a model as safetensors in OpenAI's naming (open_clip's layout), the config in the
    /// metadata. LoRA factors are written under our names; a merged LoRA is written as the merged
    /// weights without its factors, so that reloading gives the same outputs either way.
    /// </summary>
    public static void Save(ClipModel model, string path, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var merged = new HashSet<string>(StringComparer.Ordinal);
        void MergedBlocks(ClipTransformer t, string prefix)
        {
            for (int i = 0; i < t.Blocks.Count; i++)
                if (t.Blocks[i].Attention.Lora is { Merged: true }) merged.Add($"{prefix}{i}.attn.in_proj.");
        }
        MergedBlocks(model.Transformer, "transformer.resblocks.");
        MergedBlocks(model.Visual.Transformer, "visual.transformer.resblocks.");
        var items = model.state_dict()
            .Where(kv => !(ClipNames.IsLoraFactor(kv.Key) && merged.Any(p => kv.Key.StartsWith(p, StringComparison.Ordinal))))
            .Select(kv => new KeyValuePair<string, Tensor>(ClipNames.ToOpenAi(kv.Key), kv.Value))
            .ToList();
        var metadata = new Dictionary<string, string>(extraMetadata ?? new Dictionary<string, string>())
        {
            [ConfigMetadataKey] = model.Config.ToJson(),
        };
        SafeTensors.Write(path, items, metadata);
    }

    static int CountBlocks(IEnumerable<string> names, string prefix) =>
        names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Select(n => n[prefix.Length..].Split('.')[0])
            .Distinct(StringComparer.Ordinal)
            .Count();

    static bool IsTorchScript(string path)
    {
        using var zip = new ZipArchive(InputFile.OpenRead(path), ZipArchiveMode.Read);
        // torch.jit.save writes <name>/constants.pkl and the module's code under <name>/code/.
        return zip.Entries.Any(e => e.FullName.EndsWith("/constants.pkl", StringComparison.Ordinal)
                                    || e.FullName.Contains("/code/__torch__/", StringComparison.Ordinal));
    }

    static bool IsHuggingFaceName(string name) =>
        name.StartsWith("text_model.", StringComparison.Ordinal) || name.StartsWith("vision_model.", StringComparison.Ordinal)
        || name is "text_projection.weight" or "visual_projection.weight";

    static ClipNaming DetectNaming(StateDict weights, string path)
    {
        if (weights.Keys.Any(IsHuggingFaceName)) return ClipNaming.HuggingFace;
        if (weights.Keys.Any(k => k.StartsWith("visual.layer1.", StringComparison.Ordinal) || k.StartsWith("visual.attnpool.", StringComparison.Ordinal)))
            throw new CheckpointFormatException(path, "holds a ResNet CLIP (visual.layer1…, visual.attnpool…); only the ViT variants are supported");
        if (weights.ContainsKey("token_embedding.weight") || weights.ContainsKey("visual.conv1.weight")) return ClipNaming.OpenAi;
        throw new CheckpointFormatException(path,
            "is not a CLIP checkpoint in a known naming: expected OpenAI's names (token_embedding.weight, visual.conv1.weight, …) " +
            "or Hugging Face's (text_model.embeddings.token_embedding.weight, vision_model.embeddings.patch_embedding.weight, …); " +
            $"found {string.Join(", ", weights.Keys.Take(5))}{(weights.Count > 5 ? ", …" : "")}. Expected {DownloadHint}");
    }

    [GeneratedRegex(@"^(text_model|vision_model)\.encoder\.layers\.(\d+)\.(.+)$")]
    private static partial Regex HfLayer();

    // Hugging Face leaf names inside a layer → the reference's (q/k/v are handled apart).
    static readonly Dictionary<string, string> HfLayerLeaves = new(StringComparer.Ordinal)
    {
        ["self_attn.out_proj.weight"] = "attn.out_proj.weight",
        ["self_attn.out_proj.bias"] = "attn.out_proj.bias",
        ["layer_norm1.weight"] = "ln_1.weight",
        ["layer_norm1.bias"] = "ln_1.bias",
        ["layer_norm2.weight"] = "ln_2.weight",
        ["layer_norm2.bias"] = "ln_2.bias",
        ["mlp.fc1.weight"] = "mlp.c_fc.weight",
        ["mlp.fc1.bias"] = "mlp.c_fc.bias",
        ["mlp.fc2.weight"] = "mlp.c_proj.weight",
        ["mlp.fc2.bias"] = "mlp.c_proj.bias",
    };

    // Hugging Face names outside the layers → the reference's; "T" marks a Linear weight that is the
    // transpose of the reference's x·P matrix.
    static readonly Dictionary<string, (string Name, bool Transpose)> HfTopLevel = new(StringComparer.Ordinal)
    {
        ["text_model.embeddings.token_embedding.weight"] = ("token_embedding.weight", false),
        ["text_model.embeddings.position_embedding.weight"] = ("positional_embedding", false),
        ["text_model.final_layer_norm.weight"] = ("ln_final.weight", false),
        ["text_model.final_layer_norm.bias"] = ("ln_final.bias", false),
        ["text_projection.weight"] = ("text_projection", true),
        ["vision_model.embeddings.patch_embedding.weight"] = ("visual.conv1.weight", false),
        ["vision_model.embeddings.class_embedding"] = ("visual.class_embedding", false),
        ["vision_model.embeddings.position_embedding.weight"] = ("visual.positional_embedding", false),
        ["vision_model.pre_layrnorm.weight"] = ("visual.ln_pre.weight", false),
        ["vision_model.pre_layrnorm.bias"] = ("visual.ln_pre.bias", false),
        ["vision_model.post_layernorm.weight"] = ("visual.ln_post.weight", false),
        ["vision_model.post_layernorm.bias"] = ("visual.ln_post.bias", false),
        ["visual_projection.weight"] = ("visual.proj", true),
        ["logit_scale"] = ("logit_scale", false),
    };

    // Buffers of older transformers versions, not weights.
    static readonly HashSet<string> HfIgnored = new(StringComparer.Ordinal)
    {
        "text_model.embeddings.position_ids", "vision_model.embeddings.position_ids",
    };

    /// <summary>Hugging Face names → OpenAI's: copies (the source stays the caller's), q/k/v fused.</summary>
    static StateDict FromHuggingFace(StateDict hf, string path)
    {
        var result = new StateDict();
        try
        {
            // layer prefix in OpenAI's naming → q/k/v weights and biases found for it
            var qkv = new SortedDictionary<string, Dictionary<string, Tensor>>(StringComparer.Ordinal);
            foreach (var (name, tensor) in hf)
            {
                if (HfIgnored.Contains(name)) continue;
                if (HfTopLevel.TryGetValue(name, out var top))
                {
                    if (top.Transpose && tensor.dim() != 2)
                        throw new CheckpointFormatException(path, $"'{name}' has shape {Shapes.Format(tensor.shape)}, expected a 2-D projection");
                    result.Add(top.Name, top.Transpose ? tensor.t().contiguous() : tensor.clone());
                    continue;
                }
                var m = HfLayer().Match(name);
                if (!m.Success)
                {
                    result.Add(name, tensor.clone()); // reported as unexpected by the loader
                    continue;
                }
                string layer = (m.Groups[1].Value == "text_model" ? "transformer.resblocks." : "visual.transformer.resblocks.")
                               + m.Groups[2].Value + ".";
                string leaf = m.Groups[3].Value;
                if (HfLayerLeaves.TryGetValue(leaf, out var mapped))
                    result.Add(layer + mapped, tensor.clone());
                else if (QkvLeaf().Match(leaf) is { Success: true } q)
                {
                    if (!qkv.TryGetValue(layer, out var parts)) qkv[layer] = parts = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                    parts[q.Groups[1].Value + "." + q.Groups[2].Value] = tensor;
                }
                else
                    result.Add(name, tensor.clone());
            }
            foreach (var (layer, parts) in qkv)
            {
                string hfLayer = (layer.StartsWith(ClipNames.VisualPrefix, StringComparison.Ordinal) ? "vision_model" : "text_model")
                                 + ".encoder.layers." + layer.Split('.')[^2] + ".self_attn.";
                foreach (var kind in new[] { "weight", "bias" })
                {
                    var pieces = new[] { "q", "k", "v" }.Select(p => parts.GetValueOrDefault(p + "." + kind)).ToArray();
                    if (pieces.All(p => p is null)) continue;
                    var absent = new[] { "q", "k", "v" }.Where((_, i) => pieces[i] is null).Select(p => $"{hfLayer}{p}_proj.{kind}").ToList();
                    if (absent.Count > 0)
                        throw new CheckpointFormatException(path, $"is missing {string.Join(", ", absent)} (q, k and v are fused into one projection)");
                    if (!pieces.All(p => p!.shape.SequenceEqual(pieces[0]!.shape)))
                        throw new CheckpointFormatException(path,
                            $"{hfLayer}{{q,k,v}}_proj.{kind} have different shapes: {string.Join(", ", pieces.Select(p => Shapes.Format(p!.shape)))}");
                    result.Add(layer + "attn.in_proj_" + kind, cat(pieces.Select(p => p!).ToArray(), 0));
                }
            }
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    [GeneratedRegex(@"^self_attn\.([qkv])_proj\.(weight|bias)$")]
    private static partial Regex QkvLeaf();
}
