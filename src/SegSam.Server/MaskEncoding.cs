using SegSam.Imaging;

namespace SegSam.Server;

/// <summary>
/// A mask for the wire: a grey PNG (0 or 255), which a browser draws as is, or run lengths in
/// row-major order starting with a run of zeros, which a client decodes without an image library.
/// </summary>
public static class MaskEncoding
{
    public static string Png(int height, int width, byte[] mask) =>
        Convert.ToBase64String(PixelFile.EncodePng(height, width, 1, mask.Select(v => v != 0 ? (byte)255 : (byte)0).ToArray()));

    public static int[] Rle(byte[] mask)
    {
        var counts = new List<int>();
        bool on = false;
        int run = 0;
        foreach (byte v in mask)
        {
            if ((v != 0) != on)
            {
                counts.Add(run);
                on = !on;
                run = 0;
            }
            run++;
        }
        counts.Add(run);
        return [.. counts];
    }
}
