namespace SegSam.Text;

/// <summary>
/// A remote service (an OpenAI-compatible endpoint) could not be reached, refused the request or
/// answered something unusable. An <see cref="IOException"/>, so callers treat it like other
/// failures to read input.
/// </summary>
public sealed class ServiceException(string message, Exception? inner = null) : IOException(message, inner);
