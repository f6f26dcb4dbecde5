namespace SegSam.Server;

/// <summary>A request's or job's hold on a volume: while it lasts the session is not disposed (<see cref="VolumeEntry"/>).</summary>
public sealed class VolumeLease : IDisposable
{
    int released;

    internal VolumeLease(VolumeEntry entry) => Entry = entry;

    public VolumeEntry Entry { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref released, 1) == 0) Entry.Release();
    }
}
