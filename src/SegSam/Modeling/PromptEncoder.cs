using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SegSam.Modeling;

/// <summary>
/// Embeds prompts for SAM's mask decoder: points and box corners → sparse tokens (B×N×D),
/// a low-resolution mask (or the learned no-mask embedding) → dense embedding (B×D×h×w).
/// </summary>
public sealed class PromptEncoder : nn.Module
{
    readonly PositionEmbeddingRandom pe_layer;
    // 0: negative point, 1: positive point, 2: box top-left, 3: box bottom-right.
    readonly ModuleList<Embedding> point_embeddings;
    readonly Embedding not_a_point_embed;
    readonly Sequential mask_downscaling;
    readonly Embedding no_mask_embed;

    public long EmbedDim { get; }
    public (long H, long W) ImageEmbeddingSize { get; }
    public (long H, long W) InputImageSize { get; }
    public (long H, long W) MaskInputSize => (4 * ImageEmbeddingSize.H, 4 * ImageEmbeddingSize.W);

    public PromptEncoder(long embedDim, (long H, long W) imageEmbeddingSize, (long H, long W) inputImageSize, long maskInChans)
        : base(nameof(PromptEncoder))
    {
        EmbedDim = embedDim;
        ImageEmbeddingSize = imageEmbeddingSize;
        InputImageSize = inputImageSize;
        pe_layer = new PositionEmbeddingRandom(embedDim / 2);
        point_embeddings = new ModuleList<Embedding>();
        for (int i = 0; i < 4; i++) point_embeddings.Add(nn.Embedding(1, embedDim));
        not_a_point_embed = nn.Embedding(1, embedDim);
        mask_downscaling = nn.Sequential(
            nn.Conv2d(1, maskInChans / 4, kernel_size: 2, stride: 2),
            new LayerNorm2d(maskInChans / 4),
            nn.GELU(),
            nn.Conv2d(maskInChans / 4, maskInChans, kernel_size: 2, stride: 2),
            new LayerNorm2d(maskInChans),
            nn.GELU(),
            nn.Conv2d(maskInChans, embedDim, kernel_size: 1));
        no_mask_embed = nn.Embedding(1, embedDim);
        RegisterComponents();
    }

    /// <summary>Positional encoding of the image embedding grid: 1×D×h×w.</summary>
    public Tensor GetDensePe() => pe_layer.ForGrid(ImageEmbeddingSize.H, ImageEmbeddingSize.W).unsqueeze(0);

    /// <summary>
    /// Sparse and dense prompt embeddings. points: B×N×2 (x, y in the encoder's input frame) with
    /// labels B×N (1 foreground, 0 background, −1 padding); boxes: B×4 (x0, y0, x1, y1);
    /// masks: B×1×4h×4w logits. Any may be null.
    /// </summary>
    public (Tensor Sparse, Tensor Dense) forward(Tensor? points, Tensor? labels, Tensor? boxes, Tensor? masks)
    {
        using var scope = NewDisposeScope();
        long bs = points?.shape[0] ?? boxes?.shape[0] ?? masks?.shape[0] ?? 1;
        var device = no_mask_embed.weight!.device;
        var sparse = empty([bs, 0, EmbedDim], device: device);
        if (points is not null)
        {
            if (labels is null) throw new ArgumentException("point labels are required with point coordinates");
            sparse = cat([sparse, EmbedPoints(points, labels, pad: boxes is null)], 1);
        }
        if (boxes is not null) sparse = cat([sparse, EmbedBoxes(boxes)], 1);

        Tensor dense = masks is not null
            ? mask_downscaling.forward(masks)
            : no_mask_embed.weight!.reshape(1, -1, 1, 1).expand(bs, -1, ImageEmbeddingSize.H, ImageEmbeddingSize.W);
        return (sparse.MoveToOuterDisposeScope(), dense.MoveToOuterDisposeScope());
    }

    Tensor EmbedPoints(Tensor points, Tensor labels, bool pad)
    {
        points = points.Plus(0.5); // centre of the pixel
        if (pad)
        {
            // A "not a point" token stands in for the missing box, as in the reference.
            points = cat([points, zeros([points.shape[0], 1, 2], device: points.device)], 1);
            labels = cat([labels, SafeMath.Full([labels.shape[0], 1], -1, labels.dtype, labels.device)], 1);
        }
        var embedding = pe_layer.ForCoords(points, InputImageSize);
        var isPad = labels.EqualTo(-1).unsqueeze(-1);
        var isNegative = labels.EqualTo(0).unsqueeze(-1);
        var isPositive = labels.EqualTo(1).unsqueeze(-1);
        embedding = where(isPad, not_a_point_embed.weight!, embedding);
        embedding = where(isNegative, embedding.Plus(point_embeddings[0].weight!), embedding);
        embedding = where(isPositive, embedding.Plus(point_embeddings[1].weight!), embedding);
        return embedding;
    }

    Tensor EmbedBoxes(Tensor boxes)
    {
        var corners = boxes.Plus(0.5).reshape(-1, 2, 2);
        var embedding = pe_layer.ForCoords(corners, InputImageSize);
        var cornerKind = cat([point_embeddings[2].weight!, point_embeddings[3].weight!], 0); // 2 × D
        return embedding.Plus(cornerKind);
    }
}
