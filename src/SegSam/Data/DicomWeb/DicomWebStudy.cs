namespace SegSam.Data.DicomWeb;

/// <summary>One study as a QIDO-RS study search describes it (PS3.18 §10.6.3.3.1 lists these attributes among the defaults).</summary>
public sealed record DicomWebStudy(string StudyInstanceUid, string? PatientId, string? PatientName, string? StudyDate, string? StudyDescription,
    string? ModalitiesInStudy, int? SeriesCount, int? InstanceCount);
