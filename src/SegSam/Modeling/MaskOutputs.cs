namespace SegSam.Modeling;

/// <summary>Which of SAM's mask tokens a decode returns.</summary>
public enum MaskOutputs
{
    /// <summary>Token 0: SAM's single answer for unambiguous prompts (several clicks, a box).</summary>
    Single,
    /// <summary>Tokens 1…3: SAM's candidates for an ambiguous prompt (a lone click).</summary>
    Multiple,
    /// <summary>
    /// The single answer, then the box candidates (SAM's three tokens, or with
    /// <see cref="SegSamConfig.BoxCandidateTokens"/> three of their own): a box of a model with <see cref="SegSamConfig.BoxCandidates"/>.
    /// </summary>
    All,
}
