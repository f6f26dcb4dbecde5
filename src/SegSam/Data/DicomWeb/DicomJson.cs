using System.Globalization;
using System.Text.Json;

namespace SegSam.Data.DicomWeb;

/// <summary>
/// Reads attributes from the DICOM JSON Model (PS3.18 Annex F.2): a dataset is a JSON object
/// keyed by the tag as eight upper-case hex digits ("0020000D"), each value an object with "vr"
/// and an optional "Value" array. Person names are objects with an "Alphabetic" group (F.2.2);
/// IS/DS are JSON numbers by F.2.3, though some servers send them as strings, so both are read.
/// </summary>
static class DicomJson
{
    public const string StudyInstanceUid = "0020000D";
    public const string SeriesInstanceUid = "0020000E";
    public const string SopInstanceUid = "00080018";
    public const string Modality = "00080060";
    public const string ModalitiesInStudy = "00080061";
    public const string SeriesDescription = "0008103E";
    public const string StudyDescription = "00081030";
    public const string StudyDate = "00080020";
    public const string PatientName = "00100010";
    public const string PatientId = "00100020";
    public const string SeriesNumber = "00200011";
    public const string NumberOfStudyRelatedSeries = "00201206";
    public const string NumberOfStudyRelatedInstances = "00201208";
    public const string NumberOfSeriesRelatedInstances = "00201209";
    public const string ReferencedSopInstanceUid = "00081155";
    public const string FailureReason = "00081197";
    public const string FailedSopSequence = "00081198";
    public const string ReferencedSopSequence = "00081199";
    public const string WarningReason = "00081196";

    /// <summary>The first value of <paramref name="tag"/> as text (a person name's alphabetic form; several values of a multi-valued string joined by '\').</summary>
    public static string? Text(JsonElement dataset, string tag)
    {
        if (!Values(dataset, tag, out var values)) return null;
        var parts = new List<string>();
        foreach (var v in values.EnumerateArray())
        {
            switch (v.ValueKind)
            {
                case JsonValueKind.String: parts.Add(v.GetString()!); break;
                case JsonValueKind.Number: parts.Add(v.GetRawText()); break;
                case JsonValueKind.Object when v.TryGetProperty("Alphabetic", out var a) && a.ValueKind == JsonValueKind.String: parts.Add(a.GetString()!); break;
            }
        }
        return parts.Count == 0 ? null : string.Join('\\', parts);
    }

    /// <summary>The first value of <paramref name="tag"/> as an integer (a JSON number or a numeric string), or null.</summary>
    public static int? Integer(JsonElement dataset, string tag)
    {
        if (!Values(dataset, tag, out var values) || values.GetArrayLength() == 0) return null;
        var v = values[0];
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n)) return n;
        if (v.ValueKind == JsonValueKind.String && int.TryParse(v.GetString()!.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n)) return n;
        return null;
    }

    /// <summary>The items of sequence <paramref name="tag"/> (none when absent).</summary>
    public static IEnumerable<JsonElement> Items(JsonElement dataset, string tag)
    {
        if (!Values(dataset, tag, out var values)) yield break;
        foreach (var item in values.EnumerateArray())
            if (item.ValueKind == JsonValueKind.Object) yield return item;
    }

    static bool Values(JsonElement dataset, string tag, out JsonElement values)
    {
        values = default;
        return dataset.ValueKind == JsonValueKind.Object && dataset.TryGetProperty(tag, out var attribute)
            && attribute.ValueKind == JsonValueKind.Object && attribute.TryGetProperty("Value", out values) && values.ValueKind == JsonValueKind.Array;
    }
}
