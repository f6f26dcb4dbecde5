namespace SegSam.Modeling.Clip;

/// <summary>
/// Translates between our CLIP modules' state-dict names and OpenAI's. They agree except for the
/// fused attention projection, which is a Linear here (<c>…attn.in_proj.weight</c>,
/// <c>…attn.in_proj.bias</c>) and two bare parameters in torch.nn.MultiheadAttention
/// (<c>…attn.in_proj_weight</c>, <c>…attn.in_proj_bias</c>). LoRA factors
/// (<c>…attn.in_proj.linear_{a,b}_{q,v}.weight</c>) have no OpenAI counterpart and keep our names.
/// </summary>
public static class ClipNames
{
    const string OursWeight = ".attn.in_proj.weight";
    const string OursBias = ".attn.in_proj.bias";
    const string OpenAiWeight = ".attn.in_proj_weight";
    const string OpenAiBias = ".attn.in_proj_bias";

    /// <summary>The image tower's names inside a <see cref="ClipModel"/> (and in OpenAI's checkpoints).</summary>
    public const string VisualPrefix = "visual.";

    /// <summary>Our module name → OpenAI's checkpoint name.</summary>
    public static string ToOpenAi(string name) =>
        name.EndsWith(OursWeight, StringComparison.Ordinal) ? name[..^OursWeight.Length] + OpenAiWeight
        : name.EndsWith(OursBias, StringComparison.Ordinal) ? name[..^OursBias.Length] + OpenAiBias
        : name;

    /// <summary>OpenAI's checkpoint name → our module name.</summary>
    public static string FromOpenAi(string name) =>
        name.EndsWith(OpenAiWeight, StringComparison.Ordinal) ? name[..^OpenAiWeight.Length] + OursWeight
        : name.EndsWith(OpenAiBias, StringComparison.Ordinal) ? name[..^OpenAiBias.Length] + OursBias
        : name;

    /// <summary>Whether a name is one of the LoRA factors that <see cref="ClipLora"/> adds.</summary>
    public static bool IsLoraFactor(string name) =>
        name.Contains(".attn.in_proj.linear_a_", StringComparison.Ordinal) ||
        name.Contains(".attn.in_proj.linear_b_", StringComparison.Ordinal);
}
