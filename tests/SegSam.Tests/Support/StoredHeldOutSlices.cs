using SegSam.Data;

namespace SegSam.Tests.Support;

/// <summary>
/// The built-in held-out slices as `prepare` stores them (8-bit pixels) and `demo` and
/// `evaluate --data` read them: the data the bundled models' cards are measured on.
/// </summary>
public static class StoredHeldOutSlices
{
    /// <summary>Prepares the 128² held-out split, saves it into <paramref name="dir"/> and loads it back.</summary>
    public static SliceDataset Load(TempDir dir)
    {
        AtlasDataset.PrepareHuman(128).Test.Save(dir.Path);
        return SliceDataset.Load(dir.Path);
    }
}
