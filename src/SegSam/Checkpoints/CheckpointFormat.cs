namespace SegSam.Checkpoints;

/// <summary>The on-disk formats <see cref="CheckpointFile"/> understands.</summary>
public enum CheckpointFormat
{
    /// <summary>A PyTorch torch.save zip archive (.pth / .pt).</summary>
    TorchZip,

    /// <summary>A safetensors file.</summary>
    Safetensors,
}
