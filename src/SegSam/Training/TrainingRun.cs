using TorchSharp;

namespace SegSam.Training;

/// <summary>
/// A model and its trainer, ready to train or to continue from the latest checkpoint: what
/// <see cref="SegSamTrainingRun"/> and <see cref="PgSamTrainingRun"/> prepare from their options.
/// Disposing it disposes the model.
/// </summary>
public abstract class TrainingRun : IDisposable
{
    readonly torch.nn.Module model;
    readonly CheckpointedTrainer trainer;
    readonly bool resume;

    private protected TrainingRun(torch.nn.Module model, CheckpointedTrainer trainer, bool resume)
    {
        this.model = model;
        this.trainer = trainer;
        this.resume = resume;
    }

    /// <summary>
    /// Trains (or, resuming, continues) the run; checkpoints every epoch. A cancelled run stops at a
    /// step boundary with a checkpoint there and throws <see cref="OperationCanceledException"/>
    /// (see <see cref="CheckpointedTrainer.Run"/>).
    /// </summary>
    public TrainingResult Train(IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default) =>
        trainer.Run(resume, progress, cancel);

    public void Dispose() => model.Dispose();
}
