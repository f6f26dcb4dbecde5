namespace SegSam.Server;

/// <summary>
/// Body of POST /volumes/dicomweb: the PACS (one of the DICOMweb service roots the server was
/// started with; optional when it was started with one), the study, and the series (optional
/// when the study has a single image series).
/// </summary>
public sealed record DicomWebRequest(string? Url, string? Study, string? Series);
