using System.Numerics;
using System.Text.RegularExpressions;

namespace SegSam.Imaging.Dicom;

/// <summary>
/// UIDs for the objects SegSam writes: "2.25." followed by a random (version 4) UUID read as an
/// unsigned 128-bit integer in decimal, the UUID-derived form of PS3.5 §B.2 (ISO/IEC 9834-8).
/// It needs no registered organisation root and is at most 44 characters (PS3.5 §9.1 allows 64).
/// </summary>
public static partial class DicomUids
{
    /// <summary>The root every generated UID starts with.</summary>
    public const string Root = "2.25";

    /// <summary>Whether <paramref name="uid"/> is a DICOM UID: dot-separated numbers without leading zeros, at most 64 characters (PS3.5 §9.1).</summary>
    public static bool IsValid(string? uid) => uid is { Length: > 0 and <= 64 } && UidPattern().IsMatch(uid);

    [GeneratedRegex(@"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")]
    private static partial Regex UidPattern();

    /// <summary>A new, globally unique UID.</summary>
    public static string New()
    {
        var bytes = Guid.NewGuid().ToByteArray(bigEndian: true);
        return $"{Root}.{new BigInteger(bytes, isUnsigned: true, isBigEndian: true)}";
    }
}
