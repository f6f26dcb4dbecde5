namespace SegSam.Data.DicomWeb;

/// <summary>One series of a study as a QIDO-RS series search describes it.</summary>
public sealed record DicomWebSeries(string SeriesInstanceUid, string? Modality, string? SeriesDescription, int? SeriesNumber, int? InstanceCount)
{
    /// <summary>
    /// Modalities whose series hold no images to segment (PS3.3 §C.7.3.1.1.1 defined terms):
    /// structured reports, key objects, presentation states, segmentations, RT structures and
    /// plans, registrations, documents, real-world value maps.
    /// </summary>
    static readonly HashSet<string> NonImageModalities = new(StringComparer.OrdinalIgnoreCase)
        { "SR", "KO", "PR", "SEG", "RTSTRUCT", "RTPLAN", "RTRECORD", "REG", "DOC", "RWV", "FID", "PLAN" };

    /// <summary>Whether the series may hold images to segment (judged by its modality; an unknown modality counts as images).</summary>
    public bool MayHoldImages => Modality is null || !NonImageModalities.Contains(Modality);

    /// <summary>One line for a listing: UID, modality, number, description and instance count (the PACS's text escaped, so it stays one line).</summary>
    public override string ToString() =>
        $"{PrintableText.Escape(SeriesInstanceUid)}  {PrintableText.Escape(Modality ?? "?")}  #{SeriesNumber?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}  " +
        $"\"{PrintableText.Escape(SeriesDescription ?? "")}\"  {InstanceCount?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} instance(s)";
}
