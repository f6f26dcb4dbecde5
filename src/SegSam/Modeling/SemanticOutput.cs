using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// SAWD outputs: the prompted object's mask logits (B×1×4h×4w) and class logits (B×N); the
/// presence logits of every category (B×N, Classify mode) or per-category full-image mask logits
/// (B×N×4h×4w, Segment mode).
/// </summary>
public sealed record SemanticOutput(Tensor MaskLogits, Tensor ClassLogits, Tensor? PresenceLogits, Tensor? CategoryMasks);
