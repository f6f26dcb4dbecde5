namespace SegSam.Data;

/// <summary>
/// The case part of slice ids (<see cref="SliceAxis.SliceId"/>) for an input path: a file's name
/// without its extension, counting ".nii.gz"-style double extensions as one, or a DICOM folder's
/// whole name. Preparing a volume and predicting it name its slices the same way, so per-slice
/// descriptions written for one are found by the other.
/// </summary>
public static class CaseIds
{
    public static string Of(string path)
    {
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
        if (Directory.Exists(path)) return name;
        if (name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) name = name[..^3];
        return Path.GetFileNameWithoutExtension(name);
    }
}
