using StbImageWriteSharp;

namespace SegSam.Imaging;

/// <summary>An sRGB colour; <see cref="Hex"/> is its CSS form.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    public string Hex => $"#{R:x2}{G:x2}{B:x2}";
}
