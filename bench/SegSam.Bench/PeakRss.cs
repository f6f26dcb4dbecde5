namespace SegSam.Bench;

/// <summary>
/// The process's peak resident memory over a stretch of work: Linux keeps the high-water mark in
/// /proc/self/status (VmHWM), and writing "5" to /proc/self/clear_refs resets it to the current
/// resident size (proc(5)), so each benchmark row can report its own peak.
/// </summary>
public static class PeakRss
{
    /// <summary>Starts a new measurement; false where the kernel does not allow it (then peaks accumulate).</summary>
    public static bool Reset()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The peak resident memory since the last <see cref="Reset"/> (or the process start), in MiB; NaN off Linux.</summary>
    public static double MiB() => Status("VmHWM:");

    /// <summary>The resident memory now (VmRSS), in MiB; NaN off Linux.</summary>
    public static double CurrentMiB() => Status("VmRSS:");

    static double Status(string field)
    {
        if (!File.Exists("/proc/self/status")) return double.NaN;
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        if (line is null) return double.NaN;
        var kib = long.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        return kib / 1024.0;
    }
}
