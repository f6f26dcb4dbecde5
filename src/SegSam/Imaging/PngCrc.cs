namespace SegSam.Imaging;

/// <summary>The CRC-32 (ISO 3309, reflected polynomial 0xEDB88320) that PNG stores after each chunk, over its type and data.</summary>
internal static class PngCrc
{
    static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    public static uint Compute(ReadOnlySpan<byte> typeAndData)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte b in typeAndData) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
