using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// The mask tokens that answer a box with candidates (<see cref="SegSamConfig.BoxCandidateTokens"/>):
/// the same parts as SAM's three click candidates — mask tokens, a hypernetwork MLP each, IoU
/// outputs on SAM's IoU token — which take the click candidates' place in SAM's decoder when a box
/// asks for candidates (<see cref="MaskDecoder.PredictMasksAndTokens"/>), so that clicks and boxes do not share them.
/// </summary>
public sealed class BoxCandidateTokens : nn.Module
{
    readonly Embedding mask_tokens;
    readonly ModuleList<Mlp> output_hypernetworks_mlps;
    readonly Mlp iou_prediction_head;

    public int Count { get; }

    public BoxCandidateTokens(long transformerDim, int count, int iouHeadDepth, long iouHeadHiddenDim) : base(nameof(BoxCandidateTokens))
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), "box candidates need at least one token");
        Count = count;
        mask_tokens = nn.Embedding(count, transformerDim);
        output_hypernetworks_mlps = new ModuleList<Mlp>();
        for (int i = 0; i < count; i++)
            output_hypernetworks_mlps.Add(new Mlp(transformerDim, transformerDim, transformerDim / 8, 3));
        iou_prediction_head = new Mlp(transformerDim, iouHeadHiddenDim, count, iouHeadDepth);
        RegisterComponents();
    }

    internal Tensor TokenWeights => mask_tokens.weight!;
    internal IList<Mlp> Hypernetworks => output_hypernetworks_mlps;
    internal Mlp IouHead => iou_prediction_head;

    /// <summary>
    /// Starts the tokens as copies of SAM's click candidates (decoder tokens 1…T, their hypernetworks
    /// and IoU outputs), for fine-tuning a model that answered boxes with those.
    /// </summary>
    public void CopyClickCandidates(MaskDecoder decoder)
    {
        if (decoder.NumMultimaskOutputs != Count)
            throw new ArgumentException($"the decoder has {decoder.NumMultimaskOutputs} click candidates; these are {Count} box candidates");
        using var noGrad = no_grad();
        TokenWeights.copy_(decoder.MaskTokenWeights[1..]);
        for (int i = 0; i < Count; i++) Hypernetworks[i].load_state_dict(decoder.Hypernetworks[i + 1].state_dict());
        // Only the head's last layer differs in shape: one output row per mask token, the candidates' are rows 1…T.
        var source = decoder.IouHead.state_dict();
        foreach (var (name, weight) in IouHead.state_dict())
            weight.copy_(source[name].shape[0] == weight.shape[0] ? source[name] : source[name][1..]);
    }
}
