namespace SegSam.Data.DicomWeb;

/// <summary>
/// A DICOMweb server could not be reached, refused a request, or answered something unusable.
/// The message names the URL (and the HTTP status when there was one), so it can be shown as is.
/// An <see cref="IOException"/>: callers treat a failing PACS like other failures to read input.
/// </summary>
public sealed class DicomWebException(string message, Uri url, int? statusCode = null, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>The request's URL.</summary>
    public Uri Url { get; } = url;

    /// <summary>The HTTP status of the answer, or null when none came (connection refused, timeout, malformed answer after a 2xx).</summary>
    public int? StatusCode { get; } = statusCode;
}
