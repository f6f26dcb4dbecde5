using System.Globalization;
using SegSam.IO;

namespace SegSam.Imaging.Dicom;

/// <summary>
/// Assembles a <see cref="Volume"/> from the files of one DICOM series (or from one 2D or
/// multi-frame file). Slices are ordered along the slice normal (row cosine × column cosine)
/// by the projection of their Image Position (Patient) and must be evenly spaced.
///
/// Voxel (i, j, k): i is the column index (moving along the row direction cosine), j the row
/// index, k the slice in that order, so each frame's row-major pixels are already the volume's
/// x-fastest layout. The affine maps (i, j, k) to RAS+ mm: DICOM's LPS columns
/// [row cosine × column spacing, column cosine × row spacing, (last − first position)/(n − 1),
/// first position] with x and y negated. This is dcm2niix's and dicom2nifti's index convention
/// (before their optional flips); nibabel's dicomwrappers index (row, column), so its affine
/// has the first two columns swapped.
/// </summary>
public sealed class DicomSeries
{
    /// <summary>Relative spread in slice steps accepted as even spacing.</summary>
    const double SpacingTolerance = 0.02;
    /// <summary>A step this many times the median means slices are missing.</summary>
    const double GapFactor = 1.5;
    const double OrientationTolerance = 1e-3;

    public Volume Volume { get; }
    public DicomSeriesSummary Summary { get; }
    /// <summary>The instances of the slices in volume order, their geometry and the UIDs that derived objects reference.</summary>
    public DicomSourceSeries Source { get; }

    DicomSeries(Volume volume, DicomSeriesSummary summary, DicomSourceSeries source)
    {
        Volume = volume;
        Summary = summary;
        Source = source;
    }

    /// <summary>One frame of one file, placed in space.</summary>
    sealed record Slice(DicomDataset Header, DicomFrame Frame, string Name, double[] Position);

    /// <summary>
    /// Loads the series in folder <paramref name="path"/> (the only one, or the one with
    /// <paramref name="seriesUid"/>), or the image in file <paramref name="path"/>.
    /// </summary>
    public static DicomSeries Load(string path, string? seriesUid = null)
    {
        var (headers, skipped) = Choose(path, seriesUid);
        return Assemble(path, headers, skipped);
    }

    /// <summary>
    /// The series <see cref="Load"/> would assemble, from its headers only (no pixels are read):
    /// the facts an object derived from it (DICOM SEG, RTSTRUCT) needs. Fails as <see cref="Load"/> does.
    /// </summary>
    public static DicomSourceSeries ReadSource(string path, string? seriesUid = null)
    {
        var (headers, _) = Choose(path, seriesUid);
        return Arrange(path, headers, []).Source;
    }

    static (IReadOnlyList<DicomDataset> Headers, IReadOnlyList<DicomSkippedFile> Skipped) Choose(string path, string? seriesUid)
    {
        if (File.Exists(path))
        {
            var header = DicomFile.Read(path, readPixels: false);
            if (!header.Contains(DicomTag.PixelData))
                throw new DicomFormatException(path, $"has no {DicomTag.PixelData.Describe()} (modality {header.Modality ?? "unknown"}); it is not an image");
            if (seriesUid is not null && header.SeriesInstanceUid != seriesUid)
                throw new DicomFormatException(path, $"belongs to series {header.SeriesInstanceUid ?? "(none)"}, not {seriesUid}");
            return ([header], []);
        }
        if (!Directory.Exists(path)) throw new DicomFormatException(path, "no such file or folder");

        var scan = Scan(path);
        if (scan.Series.Count == 0)
            throw new DicomFormatException(path, $"holds no DICOM image files ({scan.Skipped.Count} skipped" +
                (scan.Skipped.Count == 0 ? ")" : $": {string.Join("; ", scan.Skipped.Take(5))}{(scan.Skipped.Count > 5 ? "; …" : "")})"));
        DicomSeriesInfo chosen;
        if (seriesUid is not null)
            chosen = scan.Series.FirstOrDefault(s => s.SeriesInstanceUid == seriesUid)
                ?? throw new DicomFormatException(path, $"holds no series with Series Instance UID {seriesUid}; it holds:{List(scan.Series)}");
        else if (scan.Series.Count > 1)
            throw new DicomFormatException(path, $"holds {scan.Series.Count} DICOM series; choose one by its Series Instance UID:{List(scan.Series)}");
        else chosen = scan.Series[0];
        return (chosen.Headers, scan.Skipped);
    }

    /// <summary>
    /// Reads the headers of every file in <paramref name="folder"/> and groups the images by
    /// Series Instance UID. Non-DICOM files and DICOM files without pixel data (reports,
    /// DICOMDIR, RT structures) are skipped; a damaged DICOM file is an error.
    /// </summary>
    public static DicomFolderScan Scan(string folder)
    {
        if (!Directory.Exists(folder)) throw new DicomFormatException(folder, "no such folder");
        var skipped = new List<DicomSkippedFile>();
        var groups = new Dictionary<string, List<DicomDataset>>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            if (!InputFile.IsRegular(file))
            {
                skipped.Add(new DicomSkippedFile(file, "not a regular file"));
                continue;
            }
            DicomDataset ds;
            try
            {
                ds = DicomFile.Read(file, readPixels: false);
            }
            catch (NotDicomException)
            {
                skipped.Add(new DicomSkippedFile(file, "not a DICOM file"));
                continue;
            }
            if (!ds.Contains(DicomTag.PixelData))
            {
                skipped.Add(new DicomSkippedFile(file, $"DICOM without pixel data (modality {ds.Modality ?? "unknown"})"));
                continue;
            }
            string uid = ds.SeriesInstanceUid ?? "";
            if (!groups.TryGetValue(uid, out var list)) groups[uid] = list = [];
            list.Add(ds);
        }
        var series = groups.Select(g => new DicomSeriesInfo(g.Key, g.Value[0].SeriesDescription, g.Value[0].Modality,
                g.Value[0].SeriesNumber, g.Value.Select(h => h.Source).ToArray()) { Headers = g.Value })
            .OrderBy(s => s.SeriesNumber ?? int.MaxValue).ThenBy(s => s.SeriesInstanceUid, StringComparer.Ordinal)
            .ToArray();
        return new DicomFolderScan(folder, series, skipped);
    }

    static string List(IEnumerable<DicomSeriesInfo> series) => string.Concat(series.Select(s => $"\n  {s}"));

    /// <summary>The slices ordered along the normal with their common geometry, checked.</summary>
    sealed record Arrangement(List<Slice> Slices, double[] Orientation, double[] PixelSpacing, double[] Step, DicomSourceSeries Source);

    static Arrangement Arrange(string source, IReadOnlyList<DicomDataset> headers, List<string> warnings)
    {
        var (rows, columns) = CommonSize(source, headers);
        var slices = PlaceSlices(source, headers, warnings);
        var orientation = CommonOrientation(source, slices);
        var pixelSpacing = CommonPixelSpacing(source, slices, warnings);
        var rowCos = orientation[..3];
        var colCos = orientation[3..];
        var normal = Geometry.Cross(rowCos, colCos);

        slices = slices.OrderBy(s => Geometry.Dot(normal, s.Position)).ToList();
        double[] step = SliceStep(source, slices, normal);
        var first = slices[0].Header;
        var facts = new DicomSourceSeries
        {
            Source = source,
            Slices = slices.Select(s => new DicomSourceSlice(s.Header.GetString(DicomTag.SopClassUid), s.Header.SopInstanceUid,
                s.Header.Contains(DicomTag.NumberOfFrames) ? s.Frame.Index + 1 : null, s.Position, s.Header.Source)).ToArray(),
            Orientation = orientation,
            PixelSpacing = pixelSpacing,
            Rows = rows,
            Columns = columns,
            SliceThickness = slices[0].Frame.SliceThickness,
            SliceSpacing = Geometry.Norm(step),
            StudyInstanceUid = first.StudyInstanceUid,
            SeriesInstanceUid = first.SeriesInstanceUid ?? "",
            FrameOfReferenceUid = first.GetString(DicomTag.FrameOfReferenceUid),
            Modality = first.Modality,
            Header = first,
        };
        return new Arrangement(slices, orientation, pixelSpacing, step, facts);
    }

    static DicomSeries Assemble(string source, IReadOnlyList<DicomDataset> headers, IReadOnlyList<DicomSkippedFile> skipped)
    {
        var warnings = new List<string>();
        var (slices, orientation, pixelSpacing, step, facts) = Arrange(source, headers, warnings);
        var (rows, columns) = (facts.Rows, facts.Columns);
        var rowCos = orientation[..3];
        var colCos = orientation[3..];

        // LPS → RAS: negate x and y of every column.
        var affine = Volume.Identity();
        double[][] columnsLps = [Scale(rowCos, pixelSpacing[1]), Scale(colCos, pixelSpacing[0]), step, slices[0].Position];
        for (int c = 0; c < 4; c++)
            for (int r = 0; r < 3; r++)
                affine[r, c] = r < 2 ? -columnsLps[c][r] : columnsLps[c][r];

        var data = ReadPixels(source, slices, rows, columns, out string storedType);
        var first = slices[0];
        var rescales = slices.Select(s => (s.Frame.RescaleSlope, s.Frame.RescaleIntercept)).Distinct().ToArray();
        bool identity = rescales is [(1.0, 0.0)];
        var volume = new Volume([columns, rows, slices.Count], data, affine, source)
        {
            SourceDataType = identity ? storedType : "float32",
            DicomSource = facts,
        };
        var summary = new DicomSeriesSummary
        {
            Source = source,
            PatientId = first.Header.PatientId,
            StudyInstanceUid = first.Header.StudyInstanceUid,
            SeriesInstanceUid = first.Header.SeriesInstanceUid ?? "",
            Modality = first.Header.Modality,
            SeriesDescription = first.Header.SeriesDescription,
            TransferSyntax = first.Header.TransferSyntax.ToString(),
            PhotometricInterpretation = first.Header.PhotometricInterpretation,
            FileCount = headers.Count,
            SliceCount = slices.Count,
            Dims = volume.Dims.ToArray(),
            Spacing = volume.Spacing,
            RescaleSlope = first.Frame.RescaleSlope,
            RescaleIntercept = first.Frame.RescaleIntercept,
            RescaleVaries = rescales.Length > 1,
            RescaleType = first.Header.RescaleType,
            WindowCenter = first.Header.WindowCenter,
            WindowWidth = first.Header.WindowWidth,
            StoredType = storedType,
            SkippedFiles = skipped,
            Warnings = warnings,
        };
        return new DicomSeries(volume, summary, facts);
    }

    /// <summary>Checks every file's pixel attributes (before any pixels are read) and that all share one image size.</summary>
    static (int Rows, int Columns) CommonSize(string source, IReadOnlyList<DicomDataset> headers)
    {
        foreach (var h in headers) DicomPixelData.Validate(h);
        var sizes = headers.GroupBy(h => (Rows: h.Rows!.Value, Columns: h.Columns!.Value)).ToArray();
        if (sizes.Length > 1)
            throw new DicomFormatException(source, "the images of the series differ in size: " +
                string.Join(", ", sizes.Select(g => $"{g.Key.Rows} rows × {g.Key.Columns} columns in {g.Count()} file(s), e.g. {Path.GetFileName(g.First().Source)}")));
        return sizes[0].Key;
    }

    /// <summary>
    /// One slice per frame, each with a position. A series of several files needs every
    /// position and orientation; a single file without them is stacked along its normal at
    /// Spacing Between Slices (else Slice Thickness, else 1 mm) from its position (else the origin).
    /// </summary>
    static List<Slice> PlaceSlices(string source, IReadOnlyList<DicomDataset> headers, List<string> warnings)
    {
        var slices = new List<(DicomDataset Header, DicomFrame Frame, string Name)>();
        foreach (var h in headers)
        {
            var frames = DicomFrame.Describe(h);
            string file = Path.GetFileName(h.Source);
            foreach (var f in frames)
                slices.Add((h, f, headers.Count == 1 ? $"frame {f.Index + 1}" : frames.Count == 1 ? file : $"{file} frame {f.Index + 1}"));
        }
        var incomplete = slices.FirstOrDefault(s => s.Frame.Position is null || s.Frame.Orientation is null);
        if (incomplete.Header is null)
            return slices.Select(s => new Slice(s.Header, s.Frame, s.Name, s.Frame.Position!)).ToList();

        if (headers.Count > 1)
        {
            var missing = incomplete.Frame.Position is null ? DicomTag.ImagePositionPatient : DicomTag.ImageOrientationPatient;
            throw new DicomFormatException(source,
                $"{incomplete.Name} has no {missing.Describe()}; the files of a series cannot be ordered without positions and orientations");
        }
        var first = slices[0].Frame;
        var orientation = first.Orientation;
        if (orientation is null)
        {
            orientation = [1, 0, 0, 0, 1, 0];
            warnings.Add("no Image Orientation (Patient): axial orientation assumed");
        }
        var origin = first.Position;
        if (origin is null)
        {
            origin = [0, 0, 0];
            warnings.Add("no Image Position (Patient): the first pixel is placed at the origin");
        }
        double spacing = NominalSpacing(first);
        if (slices.Count > 1)
            warnings.Add($"frames carry no positions: stacked in file order {spacing.ToString(CultureInfo.InvariantCulture)} mm apart along the slice normal");
        var normal = Geometry.Cross(orientation[..3], orientation[3..]);
        return slices.Select((s, k) => new Slice(s.Header, s.Frame with { Orientation = orientation }, s.Name,
            [origin[0] + k * spacing * normal[0], origin[1] + k * spacing * normal[1], origin[2] + k * spacing * normal[2]])).ToList();
    }

    static double[] CommonOrientation(string source, List<Slice> slices)
    {
        var o = slices[0].Frame.Orientation!;
        double[] row = o[..3], col = o[3..];
        if (Math.Abs(Geometry.Norm(row) - 1) > 0.01 || Math.Abs(Geometry.Norm(col) - 1) > 0.01 || Math.Abs(Geometry.Dot(row, col)) > 0.01)
            throw new DicomFormatException(source,
                $"{slices[0].Name}: {DicomTag.ImageOrientationPatient.Describe()} {Geometry.Format(o)} is not two orthogonal unit vectors");
        foreach (var s in slices)
        {
            var other = s.Frame.Orientation!;
            if (Enumerable.Range(0, 6).Any(i => Math.Abs(other[i] - o[i]) > OrientationTolerance))
                throw new DicomFormatException(source,
                    $"the slices have different orientations: {DicomTag.ImageOrientationPatient.Describe()} is {Geometry.Format(o)} in {slices[0].Name} " +
                    $"but {Geometry.Format(other)} in {s.Name}");
        }
        return o;
    }

    static double[] CommonPixelSpacing(string source, List<Slice> slices, List<string> warnings)
    {
        var spacing = slices[0].Frame.PixelSpacing;
        if (spacing is null)
        {
            if (slices.Any(s => s.Frame.PixelSpacing is not null))
                throw new DicomFormatException(source, $"{slices[0].Name} has no {DicomTag.PixelSpacing.Describe()} but other slices do");
            warnings.Add("no Pixel Spacing: 1 mm assumed");
            return [1, 1];
        }
        if (spacing[0] <= 0 || spacing[1] <= 0)
            throw new DicomFormatException(source, $"{slices[0].Name}: {DicomTag.PixelSpacing.Describe()} {Geometry.Format(spacing)} is not positive");
        foreach (var s in slices)
        {
            var other = s.Frame.PixelSpacing;
            if (other is null || Math.Abs(other[0] - spacing[0]) > 1e-3 * spacing[0] || Math.Abs(other[1] - spacing[1]) > 1e-3 * spacing[1])
                throw new DicomFormatException(source,
                    $"the slices have different pixel spacings: {Geometry.Format(spacing)} in {slices[0].Name} but " +
                    $"{(other is null ? "none" : Geometry.Format(other))} in {s.Name}");
        }
        return spacing;
    }

    /// <summary>
    /// The LPS vector from one slice to the next: (last − first)/(n − 1) once the spacing along
    /// the normal is checked to be even (no duplicates, no missing slices); for a single slice,
    /// the normal times Spacing Between Slices (else Slice Thickness, else 1 mm).
    /// </summary>
    static double[] SliceStep(string source, List<Slice> slices, double[] normal)
    {
        int n = slices.Count;
        if (n == 1)
            return Scale(normal, NominalSpacing(slices[0].Frame));

        var along = slices.Select(s => Geometry.Dot(normal, s.Position)).ToArray();
        var steps = Enumerable.Range(0, n - 1).Select(k => along[k + 1] - along[k]).ToArray();
        double median = steps.Order().ElementAt((n - 1) / 2);
        string Mm(double v) => v.ToString("0.###", CultureInfo.InvariantCulture) + " mm";
        for (int k = 0; k < n - 1; k++)
        {
            string pair = $"{slices[k].Name} ({Mm(along[k])} along the slice normal) and {slices[k + 1].Name} ({Mm(along[k + 1])})";
            if (steps[k] <= Math.Max(1e-4, 0.01 * median))
                throw new DicomFormatException(source,
                    $"{slices[k].Name} and {slices[k + 1].Name} are at the same position ({Mm(along[k])} along the slice normal); " +
                    "duplicate files, or several acquisitions (echoes, time points) in one series, which cannot form one volume");
            if (steps[k] > GapFactor * median)
                throw new DicomFormatException(source,
                    $"slices are missing: the gap between {pair} is {Mm(steps[k])}, {(steps[k] / median).ToString("0.0", CultureInfo.InvariantCulture)} × " +
                    $"the median spacing {Mm(median)} (about {Math.Max(1, (int)Math.Round(steps[k] / median) - 1)} slice(s) missing)");
            if (Math.Abs(steps[k] - median) > SpacingTolerance * median)
                throw new DicomFormatException(source,
                    $"slice spacing is not uniform: {Mm(steps[k])} between {pair}, while the median spacing is {Mm(median)}");
        }
        var p0 = slices[0].Position;
        var pn = slices[n - 1].Position;
        return [(pn[0] - p0[0]) / (n - 1), (pn[1] - p0[1]) / (n - 1), (pn[2] - p0[2]) / (n - 1)];
    }

    /// <summary>
    /// Reads each file once and writes its frames, rescaled, into their slice of the volume;
    /// <paramref name="storedType"/> is the sample type of the first slice's file.
    /// </summary>
    static float[] ReadPixels(string source, List<Slice> slices, int rows, int columns, out string storedType)
    {
        storedType = "";
        long plane = (long)rows * columns;
        long total = plane * slices.Count;
        if (total > Array.MaxLength)
            throw new DicomFormatException(source, $"{columns} × {rows} × {slices.Count} voxels exceed the largest array .NET allows");
        var data = new float[total];
        foreach (var file in slices.Select((s, k) => (Slice: s, K: k)).GroupBy(x => x.Slice.Header))
        {
            var pixels = DicomPixelData.From(DicomFile.Read(file.Key.Source, readPixels: true));
            if (pixels.Rows != rows || pixels.Columns != columns)
                throw new DicomFormatException(file.Key.Source, $"changed while it was read ({pixels.Rows} rows × {pixels.Columns} columns)");
            if (file.Key == slices[0].Header) storedType = pixels.StoredType;
            foreach (var (slice, k) in file)
            {
                var values = data.AsSpan((int)(k * plane), (int)plane);
                pixels.CopyFrame(slice.Frame.Index, values, slice.Frame.RescaleSlope, slice.Frame.RescaleIntercept);
                foreach (float v in values)
                    if (!float.IsFinite(v))
                        throw new DicomFormatException(file.Key.Source,
                            $"{DicomTag.RescaleSlope.Describe()} {slice.Frame.RescaleSlope} and {DicomTag.RescaleIntercept.Describe()} " +
                            $"{slice.Frame.RescaleIntercept} scale the stored values beyond the range of float32");
            }
        }
        return data;
    }

    /// <summary>
    /// Slice spacing when positions cannot give it: |Spacing Between Slices| (some MR writes it
    /// negative), else a positive Slice Thickness, else 1 mm.
    /// </summary>
    static double NominalSpacing(DicomFrame f) =>
        f.SpacingBetweenSlices is { } between && between != 0 ? Math.Abs(between)
        : f.SliceThickness is { } thickness && thickness > 0 ? thickness : 1.0;

    static double[] Scale(double[] v, double s) => [v[0] * s, v[1] * s, v[2] * s];
}
