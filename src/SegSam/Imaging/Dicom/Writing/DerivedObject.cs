using System.Globalization;
using System.Reflection;

namespace SegSam.Imaging.Dicom.Writing;

/// <summary>
/// The modules a SEG and an RTSTRUCT derived from a series share: SOP Common (PS3.3 C.12.1),
/// Patient (C.7.1.1) and General Study (C.7.2.1) copied from the source's first file, a new
/// series (C.7.3.1), General and Enhanced General Equipment (C.7.5.1, C.7.5.2), and the checks
/// on the label volume and source slices both writers need.
/// </summary>
internal static class DerivedObject
{
    /// <summary>Patient and study attributes copied as they are (type 2 ones written empty when the source lacks them); VRs from PS3.6.</summary>
    static readonly (DicomTag Tag, string Vr, bool Type2)[] Copied =
    [
        (WriteTags.PatientName, "PN", true), (DicomTag.PatientId, "LO", true), (WriteTags.PatientBirthDate, "DA", true),
        (WriteTags.PatientSex, "CS", true), (WriteTags.StudyDate, "DA", true), (WriteTags.StudyTime, "TM", true),
        (WriteTags.ReferringPhysicianName, "PN", true), (WriteTags.StudyId, "SH", true), (WriteTags.AccessionNumber, "SH", true),
        (WriteTags.StudyDescription, "LO", false),
    ];

    public const string Manufacturer = "SegSam";

    /// <summary>SegSam's version, as the packages carry it.</summary>
    public static string SoftwareVersion =>
        typeof(DerivedObject).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";

    /// <summary>A date as DICOM's DA value (PS3.5 §6.2: YYYYMMDD).</summary>
    public static string Da(DateTime when) => when.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>A time as DICOM's TM value (PS3.5 §6.2: HHMMSS, to the second).</summary>
    public static string Tm(DateTime when) => when.ToString("HHmmss", CultureInfo.InvariantCulture);

    /// <summary>A dataset with the shared modules filled in.</summary>
    public static DicomObject Start(DicomSourceSeries source, DicomExportOptions options, string sopClassUid, string sopInstanceUid, string modality,
                                    DateTime now)
    {
        string date = Da(now), time = Tm(now);
        var ds = new DicomObject()
            .Text(DicomTag.SpecificCharacterSet, "CS", "ISO_IR 192")
            .Text(DicomTag.SopClassUid, "UI", sopClassUid)
            .Text(DicomTag.SopInstanceUid, "UI", sopInstanceUid)
            .Text(WriteTags.InstanceCreationDate, "DA", date)
            .Text(WriteTags.InstanceCreationTime, "TM", time)
            .Text(DicomTag.StudyInstanceUid, "UI", source.StudyInstanceUid ?? throw Missing(source, "Study Instance UID"))
            .Text(DicomTag.SeriesInstanceUid, "UI", DicomUids.New())
            .Text(DicomTag.Modality, "CS", modality)
            .Integers(DicomTag.SeriesNumber, options.SeriesNumber)
            .Name(DicomTag.SeriesDescription, "LO", options.SeriesDescription)
            .Text(WriteTags.SeriesDate, "DA", date)
            .Text(WriteTags.SeriesTime, "TM", time)
            .Text(WriteTags.Manufacturer, "LO", Manufacturer)
            .Name(WriteTags.ManufacturerModelName, "LO", options.AlgorithmName)
            .Text(WriteTags.DeviceSerialNumber, "LO", "1")
            .Text(WriteTags.SoftwareVersions, "LO", SoftwareVersion)
            .Integers(DicomTag.InstanceNumber, 1)
            // Frame of Reference module (C.7.4.1): the source's, or a new UID when it has none (its positions still hold).
            .Text(DicomTag.FrameOfReferenceUid, "UI", source.FrameOfReferenceUid ?? DicomUids.New())
            .Text(WriteTags.PositionReferenceIndicator, "LO", source.Header.GetString(WriteTags.PositionReferenceIndicator));
        foreach (var (tag, vr, type2) in Copied)
        {
            string? value = vr == "PN" ? source.Header.GetStrings(tag) is { Length: > 0 } v ? string.Join('\\', v) : null : source.Header.GetString(tag);
            if (value is not null || type2) ds.Text(tag, vr, value);
        }
        return ds;
    }

    /// <summary>
    /// The categories with at least one voxel in <paramref name="labels"/>, checked against the
    /// source grid: the label volume must be (columns, rows, slices) of <paramref name="source"/>,
    /// and every slice must name its instance.
    /// </summary>
    public static IReadOnlyList<LabelCategory> Present(Volume labels, IReadOnlyList<LabelCategory> categories, DicomSourceSeries source)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(source);
        if (labels.Nx != source.Columns || labels.Ny != source.Rows || labels.Nz != source.Slices.Count)
            throw new ArgumentException($"the label volume is {labels.Nx} × {labels.Ny} × {labels.Nz}; the DICOM series {source.Source} is " +
                $"{source.Columns} columns × {source.Rows} rows × {source.Slices.Count} slices");
        foreach (var s in source.Slices)
        {
            if (s.SopInstanceUid is null) throw Missing(source, "SOP Instance UID", s.File);
            if (s.SopClassUid is null) throw Missing(source, "SOP Class UID", s.File);
            // Copied into the object as references: an invalid one would make the object invalid too.
            CheckUid(s.SopInstanceUid, "SOP Instance UID", s.File);
            CheckUid(s.SopClassUid, "SOP Class UID", s.File);
        }
        if (source.StudyInstanceUid is { } study) CheckUid(study, "Study Instance UID", source.Source);
        if (source.FrameOfReferenceUid is { } frame) CheckUid(frame, "Frame of Reference UID", source.Source);
        var duplicate = categories.GroupBy(c => c.Label).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"label {duplicate.Key} is given {duplicate.Count()} categories");
        var present = new HashSet<int>();
        foreach (float v in labels.Data) if (v != 0) present.Add((int)v);
        var result = categories.Where(c => c.Label > 0 && present.Contains(c.Label)).OrderBy(c => c.Label).ToList();
        var unnamed = present.Where(v => categories.All(c => c.Label != v)).Order().ToList();
        if (unnamed.Count > 0)
            throw new ArgumentException($"label value(s) {string.Join(", ", unnamed)} of the label volume have no category name");
        if (result.Count == 0)
            throw new ArgumentException("the label volume holds no labelled voxel: there is nothing to write as DICOM");
        return result;
    }

    static void CheckUid(string uid, string what, string file)
    {
        if (!DicomUids.IsValid(uid))
            throw new InvalidDataException($"{file}: its {what} is not a valid DICOM UID ({uid.Length} characters; PS3.5 §9.1: digits and dots, at most 64), so no valid object can reference it");
    }

    static InvalidDataException Missing(DicomSourceSeries source, string what, string? file = null) =>
        new($"{file ?? source.Source}: has no {what}, which a DICOM object derived from the series must reference");
}
