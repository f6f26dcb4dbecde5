using SegSam.Imaging;

namespace SegSam.Evaluation;

/// <summary>
/// A prompt-free label volume scored against its atlas in 3D, all on the volume's RAS+ grid:
/// <see cref="Image"/> on the prepared 0–255 scale (what the model saw), <see cref="Predicted"/>
/// and <see cref="Truth"/> coded 0 = background, c = <see cref="Structures"/>[c − 1].
/// <see cref="Scores"/> has one entry per structure (empty when the truth has no structure names,
/// as for the macaque atlas); <see cref="Foreground"/> scores all structures together against all
/// labelled voxels.
/// </summary>
public sealed record WholeVolumeResult(string Name, Volume Image, Volume Predicted, Volume Truth, IReadOnlyList<string> Structures,
                                       IReadOnlyList<StructureVolumeScore> Scores, StructureVolumeScore Foreground)
{
    /// <summary>The mean 3D Dice over <see cref="Scores"/> (NaN when there are none).</summary>
    public double MeanDice => Scores.Count == 0 ? double.NaN : Scores.Average(s => s.Dice);

    /// <summary>The mean 3D HD95 in mm over <see cref="Scores"/> (NaN when there are none).</summary>
    public double MeanHd95Mm => Scores.Count == 0 ? double.NaN : Scores.Average(s => s.Hd95Mm);
}
