using System.Text.Json.Serialization;

namespace SegSam.Modeling;

/// <summary>What the classification-oriented tokens of the semantic-aware decoder do.</summary>
public enum UnpromptedMode
{
    /// <summary>No CO-tokens (SAWD_pmt in the paper's Table 4).</summary>
    None,
    /// <summary>Multi-label presence of the other categories, fed back into the SO-token (SAWD_unpmt).</summary>
    Classify,
    /// <summary>Full-image semantic segmentation of every category instead (the SAWD_sem variant).</summary>
    Segment,
}
