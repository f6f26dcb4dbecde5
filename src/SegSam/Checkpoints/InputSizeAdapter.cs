using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Checkpoints;

/// <summary>
/// Adapts an encoder checkpoint trained at one input size to a model with another, as
/// SAM-Med2D and PG-SAM do: the absolute position embedding (1×g×g×C) is resized bilinearly
/// to the new grid, and relative-position tables ((2g−1)×C) whose length differs are resized
/// along their length (bilinear on a 1×1×L×C image, align_corners = false).
/// </summary>
public static class InputSizeAdapter
{
    /// <summary>
    /// Returns the weights with resized copies where the model expects another grid; other
    /// tensors are passed through unchanged (the caller still owns the originals).
    /// </summary>
    public static List<KeyValuePair<string, Tensor>> Adapt(nn.Module model, IEnumerable<KeyValuePair<string, Tensor>> weights,
                                                           out List<string> resized)
    {
        var target = model.state_dict();
        var result = new List<KeyValuePair<string, Tensor>>();
        resized = [];
        foreach (var (name, tensor) in weights)
        {
            Tensor value = tensor;
            if (target.TryGetValue(name, out var dest) && !dest.shape.SequenceEqual(tensor.shape))
            {
                if (IsPosEmbed(name) && tensor.dim() == 4 && dest.dim() == 4 && tensor.shape[3] == dest.shape[3])
                {
                    value = ResizePosEmbed(tensor, dest.shape[1], dest.shape[2]);
                    resized.Add($"{name}: {Shapes.Format(tensor.shape)} → {Shapes.Format(dest.shape)}");
                }
                else if (IsRelPos(name) && tensor.dim() == 2 && dest.dim() == 2 && tensor.shape[1] == dest.shape[1])
                {
                    value = ResizeRelPos(tensor, dest.shape[0]);
                    resized.Add($"{name}: {Shapes.Format(tensor.shape)} → {Shapes.Format(dest.shape)}");
                }
            }
            result.Add(new(name, value));
        }
        return result;
    }

    static bool IsPosEmbed(string name) => name.EndsWith("image_encoder.pos_embed", StringComparison.Ordinal);

    static bool IsRelPos(string name) =>
        name.Contains("image_encoder.blocks.", StringComparison.Ordinal) &&
        (name.EndsWith(".attn.rel_pos_h", StringComparison.Ordinal) || name.EndsWith(".attn.rel_pos_w", StringComparison.Ordinal));

    /// <summary>1×g×g×C → 1×h×w×C, bilinear, align_corners = false.</summary>
    public static Tensor ResizePosEmbed(Tensor posEmbed, long h, long w)
    {
        using var scope = NewDisposeScope();
        var chw = posEmbed.to(ScalarType.Float32).permute(0, 3, 1, 2);
        var resized = nn.functional.interpolate(chw, size: [h, w], mode: InterpolationMode.Bilinear, align_corners: false);
        return resized.permute(0, 2, 3, 1).contiguous().to(posEmbed.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>L×C → length×C, bilinear on a 1×1×L×C image (the C axis is left untouched).</summary>
    public static Tensor ResizeRelPos(Tensor relPos, long length)
    {
        using var scope = NewDisposeScope();
        var image = relPos.to(ScalarType.Float32).unsqueeze(0).unsqueeze(0);
        var resized = nn.functional.interpolate(image, size: [length, relPos.shape[1]], mode: InterpolationMode.Bilinear, align_corners: false);
        return resized[0, 0].contiguous().to(relPos.dtype).MoveToOuterDisposeScope();
    }
}
