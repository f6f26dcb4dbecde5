namespace SegSam.Inference;

/// <summary>
/// What an export writes besides segmentation.json: the label map as NIfTI (labels.nii.gz, with
/// slice.png and overlay.png for prompted objects), a DICOM Segmentation (segmentation.seg.dcm)
/// and an RT Structure Set (rtstruct.dcm). The DICOM objects need a DICOM input.
/// </summary>
[Flags]
public enum ExportFormats
{
    Nifti = 1,
    DicomSeg = 2,
    RtStruct = 4,
}
