using System.IO.Compression;
using SegSam.IO;

namespace SegSam.Imaging;

/// <summary>
/// Reads NIfTI-1 and NIfTI-2 images (.nii, .nii.gz, and .hdr/.img pairs, either byte order) into
/// a <see cref="Volume"/> the way nibabel presents them, and writes NIfTI-1 .nii / .nii.gz.
/// Every problem with a file is an <see cref="InvalidDataException"/> whose message starts with
/// the path; nothing is guessed or silently repaired beyond what nibabel itself repairs.
/// </summary>
public static class NiftiFile
{
    /// <summary>
    /// Reads one 3D volume. A 4D file yields the volume at <paramref name="volume"/> along dim[4]
    /// (default the first), while <see cref="NiftiImage.Dims"/> keeps the full shape; the whole
    /// file is still checked for size and gzip integrity. Float voxels that are NaN or infinite
    /// are an error unless <paramref name="allowNonFinite"/>, which reads them as 0.
    /// </summary>
    public static NiftiImage Read(string path, int volume = 0, bool allowNonFinite = false)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var (headerPath, dataPath) = Locate(path);

        using var headerStream = Open(headerPath);
        var header = NiftiHeader.Read(headerStream, path);
        bool isPair = dataPath != headerPath;
        if (header.IsPair != isPair)
            throw new InvalidDataException(header.IsPair
                ? $"{path}: the magic says the data is in a separate .img file, but this is a single-file name"
                : $"{path}: the magic says the data follows the header in the same file, but this is a .hdr/.img pair");
        if (volume < 0 || volume >= header.Volumes)
            throw new ArgumentOutOfRangeException(nameof(volume), volume, $"{path}: volume {volume} is outside 0…{header.Volumes - 1}");
        var affine = header.BestAffine(path);

        float[] data;
        if (isPair)
        {
            using var dataStream = Open(dataPath);
            data = ReadVoxels(dataStream, 0, FileLength(dataPath), header, volume, path);
        }
        else data = ReadVoxels(headerStream, header.HeaderSize, FileLength(headerPath), header, volume, path);

        var (min, max) = CheckFinite(data, header.DataType, allowNonFinite, path);
        return new NiftiImage
        {
            Volume = new Volume(header.GridDims, data, affine, path) { SourceDataType = header.DataType.Name },
            Version = header.Version,
            Dims = [.. header.Dims.Select(d => (int)d)],
            VolumeIndex = volume,
            DataType = header.DataType.Name,
            PixDims = header.PixDim[1..(header.Dims.Length + 1)],
            SclSlope = header.SclSlope,
            SclInter = header.SclInter,
            IsScaled = header.IsScaled,
            QformCode = header.QformCode,
            SformCode = header.SformCode,
            QformAffine = header.Qform(path),
            SformAffine = header.Sform(),
            Description = header.Description,
            BigEndian = header.BigEndian,
            Min = min,
            Max = max,
        };
    }

    /// <summary>
    /// Writes <paramref name="volume"/> as a single-file NIfTI-1 image, gzip-compressed when the
    /// path ends in .nii.gz, atomically. Values are stored as <paramref name="dataType"/> (integer
    /// types need whole numbers in range). Both the sform (the affine exactly, as float32) and the
    /// qform (the affine's closest rotation, voxel sizes and qfac) are set, with the given codes
    /// (1 = scanner by default; pass the input's codes to mirror them).
    /// </summary>
    public static void Write(string path, Volume volume, string dataType = "float32", int qformCode = 1, int sformCode = 1, string description = "")
    {
        bool gzip = path.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase);
        if (!gzip && !path.EndsWith(".nii", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"{path}: a NIfTI file name must end in .nii or .nii.gz", nameof(path));
        var type = NiftiDataType.FromName(dataType)
            ?? throw new ArgumentException($"{path}: unsupported datatype \"{dataType}\"; supported: {NiftiDataType.SupportedNames}", nameof(dataType));
        foreach (var (code, name) in new[] { (qformCode, "qform"), (sformCode, "sform") })
            if (code is < 0 or > 5) throw new ArgumentException($"{path}: {name} code {code} is not a NIfTI xform code 0–5");
        if (volume.Dims.Any(d => d > short.MaxValue))
            throw new ArgumentException($"{path}: dimensions [{string.Join(", ", volume.Dims)}] exceed NIfTI-1's limit of {short.MaxValue}");
        type.CheckRepresentable(volume.Data, path);

        var header = Nifti1Header(volume, type, qformCode, sformCode, description, path);
        AtomicFile.Write(path, stream =>
        {
            if (gzip)
            {
                using var compressed = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true);
                compressed.Write(header);
                type.Encode(volume.Data, compressed);
            }
            else
            {
                stream.Write(header);
                type.Encode(volume.Data, stream);
            }
        });
    }

    static byte[] Nifti1Header(Volume volume, NiftiDataType type, int qformCode, int sformCode, string description, string path)
    {
        var a = volume.Affine;
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++)
                if (!double.IsFinite(a[r, c])) throw new ArgumentException($"{path}: the affine holds a non-finite value");
        if (a[3, 0] != 0 || a[3, 1] != 0 || a[3, 2] != 0 || a[3, 3] != 1)
            throw new ArgumentException($"{path}: the affine's last row must be [0, 0, 0, 1] to be stored in NIfTI");

        // The qform holds only a rotation, voxel sizes and the sign of the k axis (qfac), so a
        // sheared affine gets its closest rotation there; the sform keeps it exactly.
        var zooms = AffineMath.ColumnNorms(a);
        if (zooms.Any(z => z == 0)) throw new ArgumentException($"{path}: the affine maps a voxel axis to zero length");
        var rotation = new double[3, 3];
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++) rotation[r, c] = a[r, c] / zooms[c];
        double qfac = AffineMath.Determinant(rotation) < 0 ? -1 : 1;
        for (int r = 0; r < 3; r++) rotation[r, 2] *= qfac;
        var proper = AffineMath.ClosestOrthogonal(rotation)
            ?? throw new ArgumentException($"{path}: the affine is singular (its voxel axes are not independent)");
        var (b, c2, d) = AffineMath.RotationToQuaternion(proper);

        var rows = new double[3, 4];
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++) rows[r, c] = a[r, c];
        return new NiftiHeader
        {
            Dims = [.. volume.Dims.Select(n => (long)n)],
            DataType = type,
            PixDim = [qfac, zooms[0], zooms[1], zooms[2], 1, 1, 1, 1],
            VoxOffset = NiftiHeader.Nifti1Size + 4,
            SclSlope = 1,
            SclInter = 0,
            Description = description,
            QformCode = qformCode,
            SformCode = sformCode,
            QuaternB = b,
            QuaternC = c2,
            QuaternD = d,
            QOffset = [a[0, 3], a[1, 3], a[2, 3]],
            SRows = rows,
        }.ToNifti1Bytes();
    }

    /// <summary>The header file and the data file: the same file for .nii, else the .hdr/.img partner.</summary>
    static (string Header, string Data) Locate(string path)
    {
        foreach (var (ext, partner, isHeader) in new[] { (".hdr", ".img", true), (".img", ".hdr", false) })
        {
            foreach (var gz in new[] { "", ".gz" })
            {
                if (!path.EndsWith(ext + gz, StringComparison.OrdinalIgnoreCase)) continue;
                string stem = path[..^(ext + gz).Length];
                string other = new[] { stem + partner + gz, stem + partner, stem + partner + ".gz" }.FirstOrDefault(File.Exists)
                    ?? throw new FileNotFoundException($"{path}: the matching {partner} file of the .hdr/.img pair is missing", stem + partner + gz);
                return isHeader ? (path, other) : (other, path);
            }
        }
        return (path, path);
    }

    /// <summary>Opens a file, decompressing it when it starts with the gzip signature (whatever its name).</summary>
    static Stream Open(string path)
    {
        var file = InputFile.OpenRead(path, 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        int got = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return got == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new CheckedGzipStream(file, path) : file;
    }

    /// <summary>
    /// The length of the file's content: through a symbolic link (FileInfo.Length of a link is the
    /// link's own size on Linux), as batch folders often link to the scans rather than copy them.
    /// </summary>
    static long FileLength(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target ? target.Length : info.Length;
    }

    /// <summary>
    /// Reads the chosen volume's voxels from <paramref name="stream"/> (positioned at byte
    /// <paramref name="position"/>) after checking that the file, <paramref name="fileLength"/>
    /// bytes on disk, holds every volume the header declares.
    /// </summary>
    static float[] ReadVoxels(Stream stream, long position, long fileLength, NiftiHeader header, int volume, string path)
    {
        var type = header.DataType;
        var grid = header.GridDims;
        long voxels = Volume.CheckedVoxelCount([.. grid.Select(d => (long)d)], type.Size, path);
        long volumeBytes = voxels * type.Size;
        long totalBytes = volumeBytes * header.Volumes;
        string need = $"the header declares dims [{string.Join(", ", header.Dims)}] of {type.Name} = {totalBytes} bytes from vox_offset {header.VoxOffset}";
        byte[] raw;

        if (stream is FileStream file)
        {
            long length = file.Length;
            if (header.VoxOffset > length)
                throw new InvalidDataException($"{path}: vox_offset {header.VoxOffset} is beyond the end of the file ({length} bytes)");
            if (totalBytes > length - header.VoxOffset)
                throw new InvalidDataException($"{path}: data shorter than the header says: {need}, but the file has {length} bytes");
            file.Position = header.VoxOffset + volume * volumeBytes;
            raw = new byte[volumeBytes];
            file.ReadExactly(raw);
        }
        else
        {
            long inflatable = DeflateLimit.MaxInflated(fileLength);
            if (header.VoxOffset > inflatable)
                throw new InvalidDataException($"{path}: vox_offset {header.VoxOffset} is beyond the end of the decompressed file (its {fileLength} compressed bytes hold at most {inflatable})");
            if (totalBytes > inflatable - header.VoxOffset)
                throw new InvalidDataException($"{path}: data shorter than the header says: {need}, more than the {fileLength} compressed bytes of the file can hold");
            raw = new byte[volumeBytes];
            long skipped = Skip(stream, header.VoxOffset - position);
            if (skipped < header.VoxOffset - position)
                throw new InvalidDataException($"{path}: vox_offset {header.VoxOffset} is beyond the end of the decompressed file ({position + skipped} bytes)");
            long before = Skip(stream, volume * volumeBytes);
            int got = before < volume * volumeBytes ? 0 : stream.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
            long after = got < raw.Length ? 0 : Skip(stream, totalBytes - (volume + 1) * volumeBytes);
            long read = before + got + after;
            if (read < totalBytes)
                throw new InvalidDataException($"{path}: data shorter than the header says: {need}, but the decompressed file has {header.VoxOffset + read} bytes");
            // On to the end, so that every gzip member's checksum is verified, but only so far: a
            // small image followed by gigabytes of compressed zeros must not be inflated for minutes.
            long rest = Skip(stream, MaxTrailingBytes + 1);
            if (rest > MaxTrailingBytes)
                throw new InvalidDataException(
                    $"{path}: the gzip data goes on for more than {MaxTrailingBytes >> 20} MiB past the image the header describes ({need}); not a NIfTI file as written by any tool");
        }

        var values = new float[voxels];
        type.Decode(raw, header.BigEndian, header.IsScaled, header.SclSlope, header.SclInter, values);
        return values;
    }

    /// <summary>How much decompressed data may follow the voxels (NIfTI writers leave none; a little padding is tolerated).</summary>
    const long MaxTrailingBytes = 16L << 20;

    /// <summary>Reads and discards up to <paramref name="count"/> bytes; returns how many there were.</summary>
    static long Skip(Stream stream, long count)
    {
        var buffer = new byte[1 << 16];
        long done = 0;
        while (done < count)
        {
            int n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, count - done));
            if (n == 0) break;
            done += n;
        }
        return done;
    }

    /// <summary>Rejects (or zeroes, when allowed) NaN and infinite values; returns the value range.</summary>
    static (float Min, float Max) CheckFinite(float[] data, NiftiDataType type, bool allowNonFinite, string path)
    {
        long bad = 0;
        for (int i = 0; i < data.Length; i++)
        {
            if (float.IsFinite(data[i])) continue;
            bad++;
            if (allowNonFinite) data[i] = 0;
        }
        if (bad > 0 && !allowNonFinite)
            throw new InvalidDataException(
                $"{path}: {bad} of {data.Length} voxels are NaN or infinite ({type.Name} data, after scaling to float32); read with allowNonFinite: true to treat them as 0");
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float v in data)
        {
            if (v < min) min = v;
            if (v > max) max = v;
        }
        return (min, max);
    }
}
