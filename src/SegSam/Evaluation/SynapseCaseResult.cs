namespace SegSam.Evaluation;

/// <summary>One organ of one case under the Synapse protocol.</summary>
/// <param name="Dice">Dice, or the protocol's 1 / 0 for the empty cases.</param>
/// <param name="Hd95Voxels">medpy HD95 with unit spacing, as the TransUNet / PG-SAM tables report it.</param>
/// <param name="Hd95Mm">medpy HD95 with the case's voxel spacing.</param>
public readonly record struct SynapseCaseResult(double Dice, double Hd95Voxels, double Hd95Mm);
