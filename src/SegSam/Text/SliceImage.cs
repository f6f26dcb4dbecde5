namespace SegSam.Text;

/// <summary>
/// One slice to describe: its id (the key of the descriptions file, which must be the slice id
/// the PG-SAM trainer and evaluator look up), where it comes from (for messages), the modality
/// its dataset records, if any, and how to encode it (called only when the slice is asked for).
/// </summary>
public sealed record SliceImage(string Id, string Source, string? Modality, Func<EncodedImage> Encode);
