namespace SegSam.Training;

/// <summary>Progress of a run, for progress bars.</summary>
public sealed record TrainingProgress(int Epoch, int Epochs, int StepInEpoch, int StepsPerEpoch, int GlobalStep, int TotalSteps,
                                      double Loss, double LearningRate, TimeSpan Elapsed);
