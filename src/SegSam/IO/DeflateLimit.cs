namespace SegSam.IO;

/// <summary>
/// How much data deflate-compressed bytes can possibly hold. Deflate cannot compress better than
/// 1032:1 (zlib's technical notes: a 258-byte match coded in two bits at best), so a header that
/// declares more than that from the compressed bytes present describes data the file cannot
/// contain, and is refused before anything is allocated for it.
/// </summary>
internal static class DeflateLimit
{
    public const long MaxRatio = 1032;

    /// <summary>The most bytes <paramref name="compressedBytes"/> of deflate (gzip, zlib, zip) data can inflate to.</summary>
    public static long MaxInflated(long compressedBytes) =>
        compressedBytes <= 0 ? 0 : compressedBytes > long.MaxValue / MaxRatio ? long.MaxValue : compressedBytes * MaxRatio;

    /// <summary>
    /// The size a zip entry's directory records, or null when its compressed bytes cannot hold
    /// that much (stored entries have both sizes equal; deflated ones at most 1032:1).
    /// </summary>
    public static string? ImplausibleSize(System.IO.Compression.ZipArchiveEntry entry) =>
        entry.Length <= Math.Max(entry.CompressedLength, MaxInflated(entry.CompressedLength)) ? null
            : $"its zip entry claims {entry.Length} bytes from {entry.CompressedLength} compressed bytes, more than deflate can hold";
}
