namespace SegSam.Imaging.Dicom;

/// <summary>
/// The value representation (VR) and name of the attributes this reader interprets (PS3.6).
/// Implicit-VR data carries no VR, so it comes from here; attributes outside this list are kept
/// as raw bytes ("UN") and only skipped by their length, or parsed as a sequence when their value
/// starts with an item (see <see cref="DicomReader"/>).
/// </summary>
public static class DicomDictionary
{
    static readonly Dictionary<DicomTag, (string Vr, string Name)> Entries = new()
    {
        [DicomTag.FileMetaInformationGroupLength] = ("UL", "File Meta Information Group Length"),
        [new(0x0002, 0x0002)] = ("UI", "Media Storage SOP Class UID"),
        [new(0x0002, 0x0003)] = ("UI", "Media Storage SOP Instance UID"),
        [DicomTag.TransferSyntaxUid] = ("UI", "Transfer Syntax UID"),
        [DicomTag.SpecificCharacterSet] = ("CS", "Specific Character Set"),
        [DicomTag.SopClassUid] = ("UI", "SOP Class UID"),
        [DicomTag.SopInstanceUid] = ("UI", "SOP Instance UID"),
        [DicomTag.Modality] = ("CS", "Modality"),
        [DicomTag.SeriesDescription] = ("LO", "Series Description"),
        [DicomTag.PatientId] = ("LO", "Patient ID"),
        [DicomTag.SliceThickness] = ("DS", "Slice Thickness"),
        [DicomTag.SpacingBetweenSlices] = ("DS", "Spacing Between Slices"),
        [DicomTag.StudyInstanceUid] = ("UI", "Study Instance UID"),
        [DicomTag.SeriesInstanceUid] = ("UI", "Series Instance UID"),
        [DicomTag.SeriesNumber] = ("IS", "Series Number"),
        [DicomTag.InstanceNumber] = ("IS", "Instance Number"),
        [DicomTag.ImagePositionPatient] = ("DS", "Image Position (Patient)"),
        [DicomTag.ImageOrientationPatient] = ("DS", "Image Orientation (Patient)"),
        [DicomTag.FrameOfReferenceUid] = ("UI", "Frame of Reference UID"),
        [DicomTag.PlanePositionSequence] = ("SQ", "Plane Position Sequence"),
        [DicomTag.PlaneOrientationSequence] = ("SQ", "Plane Orientation Sequence"),
        [DicomTag.SamplesPerPixel] = ("US", "Samples per Pixel"),
        [DicomTag.PhotometricInterpretation] = ("CS", "Photometric Interpretation"),
        [DicomTag.PlanarConfiguration] = ("US", "Planar Configuration"),
        [DicomTag.NumberOfFrames] = ("IS", "Number of Frames"),
        [DicomTag.Rows] = ("US", "Rows"),
        [DicomTag.Columns] = ("US", "Columns"),
        [DicomTag.PixelSpacing] = ("DS", "Pixel Spacing"),
        [DicomTag.BitsAllocated] = ("US", "Bits Allocated"),
        [DicomTag.BitsStored] = ("US", "Bits Stored"),
        [DicomTag.HighBit] = ("US", "High Bit"),
        [DicomTag.PixelRepresentation] = ("US", "Pixel Representation"),
        [DicomTag.WindowCenter] = ("DS", "Window Center"),
        [DicomTag.WindowWidth] = ("DS", "Window Width"),
        [DicomTag.RescaleIntercept] = ("DS", "Rescale Intercept"),
        [DicomTag.RescaleSlope] = ("DS", "Rescale Slope"),
        [DicomTag.RescaleType] = ("LO", "Rescale Type"),
        [DicomTag.PixelMeasuresSequence] = ("SQ", "Pixel Measures Sequence"),
        [DicomTag.PixelValueTransformationSequence] = ("SQ", "Pixel Value Transformation Sequence"),
        [DicomTag.GridFrameOffsetVector] = ("DS", "Grid Frame Offset Vector"),
        [DicomTag.SharedFunctionalGroupsSequence] = ("SQ", "Shared Functional Groups Sequence"),
        [DicomTag.PerFrameFunctionalGroupsSequence] = ("SQ", "Per-frame Functional Groups Sequence"),
        [DicomTag.ExtendedOffsetTable] = ("OV", "Extended Offset Table"),
        [DicomTag.ExtendedOffsetTableLengths] = ("OV", "Extended Offset Table Lengths"),
        [DicomTag.PixelData] = ("OW", "Pixel Data"),
    };

    /// <summary>The VR an implicit-VR element of this tag has, or null when unknown.</summary>
    public static string? Vr(DicomTag tag) =>
        Entries.TryGetValue(tag, out var e) ? e.Vr : tag.IsGroupLength ? "UL" : null;

    public static string? Name(DicomTag tag) =>
        Entries.TryGetValue(tag, out var e) ? e.Name : tag.IsGroupLength ? "Group Length" : null;
}
