namespace SegSam.Imaging.Dicom;

/// <summary>
/// Where one frame of an image lies and how its stored values rescale: taken from the frame's
/// Per-frame Functional Group item, then the Shared Functional Groups, then the top-level
/// attributes (PS3.3 C.7.6.16). Frames of an RT Dose are placed by the Grid Frame Offset Vector.
/// Positions and orientations are in DICOM's LPS patient coordinates (mm).
/// </summary>
public sealed record DicomFrame(
    int Index,
    double[]? Position,
    double[]? Orientation,
    double[]? PixelSpacing,
    double? SliceThickness,
    double? SpacingBetweenSlices,
    double RescaleSlope,
    double RescaleIntercept)
{
    /// <summary>One entry per frame of the image in <paramref name="ds"/>.</summary>
    public static IReadOnlyList<DicomFrame> Describe(DicomDataset ds)
    {
        int frames = ds.NumberOfFrames;
        if (frames < 1) throw new DicomFormatException(ds.Source, $"{DicomTag.NumberOfFrames.Describe()} is {frames}");
        // Per-frame groups that do not match the frame count (seen in edited files) cannot be
        // assigned to frames and are ignored.
        var perFrame = ds.GetSequence(DicomTag.PerFrameFunctionalGroupsSequence);
        if (perFrame.Count != frames) perFrame = [];
        var shared = ds.GetSequence(DicomTag.SharedFunctionalGroupsSequence).FirstOrDefault();

        double[]? offsets = frames > 1 && !perFrame.Any(f => Macro(f, DicomTag.PlanePositionSequence) is not null)
            ? ds.GetDoubles(DicomTag.GridFrameOffsetVector) : null;
        if (offsets is not null && offsets.Length < frames)
            throw new DicomFormatException(ds.Source,
                $"{DicomTag.GridFrameOffsetVector.Describe()} has {offsets.Length} values for {frames} frames");

        var result = new DicomFrame[frames];
        for (int f = 0; f < frames; f++)
        {
            var own = perFrame.Count == 0 ? null : perFrame[f];
            // The first functional group (own, then shared) that holds the macro, else the top level.
            DicomDataset Holder(DicomTag macro) =>
                (own is null ? null : Macro(own, macro)) ?? (shared is null ? null : Macro(shared, macro)) ?? ds;

            var plane = Holder(DicomTag.PlanePositionSequence);
            var orientation = Holder(DicomTag.PlaneOrientationSequence).ImageOrientationPatient;
            var measures = Holder(DicomTag.PixelMeasuresSequence);
            var rescale = Holder(DicomTag.PixelValueTransformationSequence);
            var position = plane.ImagePositionPatient;
            if (offsets is not null && position is not null && orientation is not null)
            {
                // Relative offsets start at 0; absolute ones start at the position's z (axial only),
                // so measuring from the first offset covers both (PS3.3 C.8.8.3.2).
                var normal = Geometry.Cross(orientation[..3], orientation[3..]);
                double d = offsets[f] - offsets[0];
                position = [position[0] + d * normal[0], position[1] + d * normal[1], position[2] + d * normal[2]];
            }
            double slope = rescale.RescaleSlope ?? 1.0, intercept = rescale.RescaleIntercept ?? 0.0;
            if (!double.IsFinite(slope) || !double.IsFinite(intercept))
                throw new DicomFormatException(ds.Source,
                    $"{DicomTag.RescaleSlope.Describe()} {slope} / {DicomTag.RescaleIntercept.Describe()} {intercept} is not a finite number");
            result[f] = new DicomFrame(f, position, orientation, measures.PixelSpacing, measures.SliceThickness,
                measures.SpacingBetweenSlices, slope, intercept);
        }
        return result;
    }

    static DicomDataset? Macro(DicomDataset group, DicomTag sequence) => group.GetSequence(sequence).FirstOrDefault();
}
