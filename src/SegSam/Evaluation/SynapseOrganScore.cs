namespace SegSam.Evaluation;

/// <summary>One organ of one case under the Synapse protocol (one row of the per-case table).</summary>
/// <param name="Case">The case's name, e.g. "case0001".</param>
/// <param name="Label">The organ's code, 1 … C.</param>
/// <param name="Organ">The organ's name.</param>
/// <param name="Dice">3D Dice, or the protocol's 1 / 0 for the empty-mask cases (see <see cref="SynapseCase"/>).</param>
/// <param name="Hd95Voxels">medpy HD95 with unit spacing, as the TransUNet / PG-SAM tables report it.</param>
/// <param name="Hd95Mm">medpy HD95 with the case's voxel spacing.</param>
public sealed record SynapseOrganScore(string Case, int Label, string Organ, double Dice, double Hd95Voxels, double Hd95Mm);
