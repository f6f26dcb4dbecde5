namespace SegSam.Text;

/// <summary>An image file's bytes and media type, as it goes into a request.</summary>
public sealed record EncodedImage(byte[] Bytes, string MediaType);
