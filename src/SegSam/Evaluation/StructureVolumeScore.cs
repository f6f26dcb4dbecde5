namespace SegSam.Evaluation;

/// <summary>
/// One structure of a whole label volume scored in 3D (<see cref="SynapseCase"/>'s rule): Dice and
/// HD95 in mm, with the voxel counts of the prediction and of the truth.
/// </summary>
public sealed record StructureVolumeScore(string Structure, double Dice, double Hd95Mm, long PredictedVoxels, long TruthVoxels);
