using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SegSam.Imaging;

namespace SegSam.Cli.Commands;

/// <summary>`segsam info`: what a medical image file holds (format, grid, geometry, values, header facts).</summary>
public static class InfoCommand
{
    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = $"Image file or DICOM series folder: {MedicalImage.SupportedTypes}" };
        var json = new Option<bool>("--json") { Description = "Print the facts as JSON" };
        var command = new Command("info", "Describe a medical image: format, dimensions, spacing, affine, orientation, data type, intensity range.")
        {
            path, json,
        };
        command.SetAction(parse =>
        {
            var facts = MedicalImage.Describe(parse.GetValue(path)!);
            var output = parse.InvocationConfiguration.Output;
            output.Write(parse.GetValue(json) ? JsonSerializer.Serialize(facts, Json) + Environment.NewLine : Text(facts));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The facts as aligned "name  value" lines.</summary>
    static string Text(ImageFacts facts)
    {
        static string N(double v) => v.ToString("0.#####", CultureInfo.InvariantCulture);
        var v = facts.Volume;
        var s = new StringBuilder();
        void Line(string name, string value) => s.AppendLine($"{name,-12} {PrintableText.Escape(value)}");
        Line("file", facts.Path);
        Line("format", facts.Format + (facts.ImageArray is null ? "" : $" (image: {facts.ImageArray})"));
        Line("dims", string.Join(" × ", v.Dims));
        Line("spacing", string.Join(" × ", v.Spacing.Select(N)) + " mm");
        Line("orientation", v.Orientation);
        for (int r = 0; r < 4; r++)
            Line(r == 0 ? "affine" : "", "[" + string.Join(" ", v.Affine[r].Select(x => N(x).PadLeft(10))) + " ]");
        Line("data type", v.DataType);
        Line("intensity", $"min {N(v.Min)}   max {N(v.Max)}   mean {N(v.Mean)}");
        if (facts.Nifti is { } n)
        {
            Line("nifti dims", string.Join(" × ", n.Dims));
            Line("qform/sform", $"qform_code {n.QformCode}   sform_code {n.SformCode}");
            Line("scaling", $"scl_slope {(n.SclSlope is { } slope ? N(slope) : "NaN")}   scl_inter {(n.SclInter is { } inter ? N(inter) : "NaN")}   " +
                (n.IsScaled ? "applied" : "not applied"));
            if (n.Description.Length > 0) Line("description", n.Description);
        }
        foreach (var a in facts.Arrays) Line("array", a.ToString());
        if (facts.Dicom is { } d) s.Append(d);
        return s.ToString();
    }
}
