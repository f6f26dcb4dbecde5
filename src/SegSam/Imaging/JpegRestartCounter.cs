using System.Reflection;
using BitMiracle.LibJpeg.Classic;

namespace SegSam.Imaging;

/// <summary>
/// Works around a bug in BitMiracle.LibJpeg.NET 1.5.324: its port of libjpeg's
/// start_pass_huff_decoder resets the restart-interval counter for sequential scans only, so in
/// a progressive JPEG with restart markers every scan after the first (and the first too)
/// expects its RSTn marker at the wrong MCU, and libjpeg reports "extraneous bytes before
/// marker 0xD0" on a valid file. <see cref="Reset"/>, called after each scan header is read
/// and before its first MCU, sets the counter to the restart interval as libjpeg does. The
/// fields are private, hence reflection; should a later version rename them, Reset says so
/// and the file is refused rather than misdecoded.
/// </summary>
internal static class JpegRestartCounter
{
    const BindingFlags Private = BindingFlags.Instance | BindingFlags.NonPublic;
    static readonly FieldInfo? Entropy = typeof(jpeg_decompress_struct).GetField("m_entropy", Private);
    static readonly FieldInfo? Interval = typeof(jpeg_decompress_struct).GetField("m_restart_interval", Private);

    /// <summary>Sets the current scan's count of MCUs to its first restart marker; false when the library's fields are not found.</summary>
    public static bool Reset(jpeg_decompress_struct jpeg)
    {
        object? entropy = Entropy?.GetValue(jpeg);
        var toGo = entropy?.GetType().GetField("m_restarts_to_go", Private);
        if (Interval is null || toGo is null) return false;
        toGo.SetValue(entropy, Interval.GetValue(jpeg));
        return true;
    }
}
