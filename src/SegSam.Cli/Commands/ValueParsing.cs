using SegSam.Inference;
using System.Globalization;
using SegSam.Data;

namespace SegSam.Cli.Commands;

/// <summary>Parses the comma-separated values of prompt options ("x,y,label", "x0,y0,x1,y1", "H,W").</summary>
public static class ValueParsing
{
    public static double[] Numbers(string text, int count, string option, string form)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != count)
            throw new UsageException($"{option} expects {form}, got '{text}'");
        var values = new double[count];
        for (int i = 0; i < count; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !double.IsFinite(values[i]))
                throw new UsageException($"{option} expects {form}, got '{text}' ('{parts[i]}' is not a number)");
        }
        return values;
    }

    public static PointPrompt Point(string text)
    {
        var v = Numbers(text, 3, "--point", "x,y,label (label 1 = object, 0 = background)");
        if (v[2] is not (0 or 1)) throw new UsageException($"--point label must be 1 (object) or 0 (background), got '{text}'");
        return new PointPrompt(v[0], v[1], (int)v[2]);
    }

    public static BoxPrompt Box(string text)
    {
        var v = Numbers(text, 4, "--box", "x0,y0,x1,y1");
        return new BoxPrompt(v[0], v[1], v[2], v[3]);
    }

    /// <summary>A CT window option: a name or LEVEL,WIDTH (<see cref="Intensity.ParseWindow"/>).</summary>
    public static (double Level, double Width) Window(string text)
    {
        try
        {
            return Intensity.ParseWindow(text);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--window: {e.Message}");
        }
    }

    public static (int H, int W) Size(string text, string option)
    {
        var v = Numbers(text, 2, option, "H,W");
        if (v.Any(x => x < 1 || x != Math.Floor(x)))
            throw new UsageException($"{option} expects two positive whole numbers H,W, got '{text}'");
        return ((int)v[0], (int)v[1]);
    }

    /// <summary>--out-format: a comma list of nifti, dicom-seg and rtstruct.</summary>
    public static ExportFormats OutFormats(string text)
    {
        ExportFormats formats = 0;
        foreach (var name in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            formats |= name.ToLowerInvariant() switch
            {
                "nifti" => ExportFormats.Nifti,
                "dicom-seg" or "seg" => ExportFormats.DicomSeg,
                "rtstruct" => ExportFormats.RtStruct,
                _ => throw new UsageException($"--out-format: '{name}' is not nifti, dicom-seg or rtstruct"),
            };
        return formats != 0 ? formats : throw new UsageException("--out-format: give at least one of nifti, dicom-seg, rtstruct");
    }

    /// <summary>A library argument error as a usage error of <paramref name="option"/>.</summary>
    public static T LibraryCall<T>(Func<T> call, string option)
    {
        try
        {
            return call();
        }
        catch (ArgumentException e)
        {
            // ArgumentException appends " (Parameter 'x')": the parameter is the option here.
            string message = e.ParamName is { } name ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;
            throw new UsageException($"{option}: {message}");
        }
    }
}
