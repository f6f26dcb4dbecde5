using SegSam.Modeling.PgSam;
using static TorchSharp.torch;

namespace SegSam.Text;

/// <summary>The text side of PG-SAM's prior for a list of slices (see <see cref="PgSamPriorConfig"/>).</summary>
public static class PgSamPrior
{
    /// <summary>
    /// One text per slice: its description from <paramref name="descriptions"/> when the model
    /// was configured per image, else the model's template sentence.
    /// </summary>
    public static IReadOnlyList<string> Texts(PgSamPriorConfig prior, IReadOnlyList<string> sliceIds, SliceDescriptions? descriptions)
    {
        if (prior.Descriptions == PgSamPriorConfig.PerImageDescriptions)
        {
            if (descriptions is null) throw new InvalidDataException("this PG-SAM model was trained with per-image descriptions; give them (--image-descriptions)");
            return sliceIds.Select(descriptions.For).ToList();
        }
        return sliceIds.Select(_ => prior.Template).ToList();
    }

    /// <summary>
    /// The model's text input for the slices (what <see cref="PgSamModel.TextFeatures"/> takes):
    /// with CLIP, the token ids S×context of each text (int64; longer texts truncated to CLIP's
    /// context, as PG-SAM truncates at 77 tokens); otherwise the offline encoder's vectors
    /// S×clip_dim, computed once per distinct text.
    /// </summary>
    public static Tensor TextInputs(PgSamModelConfig config, IReadOnlyList<string> sliceIds, SliceDescriptions? descriptions)
    {
        var texts = Texts(config.Prior, sliceIds, descriptions);
        if (config.Prior.ClipText)
            return tensor(ClipTokenizer.Default.Tokenize(texts, config.Prior.Clip!.ContextLength, truncate: true));
        var encoder = TextEncoders.Create(config.Prior.TextEncoder);
        if (encoder.Dimension != config.Head.ClipDim)
            throw new InvalidDataException($"text encoder {config.Prior.TextEncoder} gives {encoder.Dimension}-d vectors; the head's clip_dim is {config.Head.ClipDim}");
        var distinct = texts.Distinct(StringComparer.Ordinal).ToList();
        var vectors = encoder.Encode(distinct);
        var byText = distinct.Select((t, i) => (t, vectors[i])).ToDictionary(p => p.t, p => p.Item2, StringComparer.Ordinal);
        return tensor(texts.SelectMany(t => byText[t]).ToArray(), [texts.Count, encoder.Dimension]);
    }
}
