using System.Buffers.Binary;
using System.Text;

namespace SegSam.Imaging;

/// <summary>
/// The fields of a NIfTI-1 (348-byte) or NIfTI-2 (540-byte) header that locate, decode and place
/// the voxels, read in either byte order and checked; plus the NIfTI-1 encoding used for writing.
/// Like nibabel's header check on load, qfac other than ±1 reads as 1, zero or negative
/// pixdim[1..3] as 1 or |pixdim|, and unknown qform/sform codes as 0.
/// </summary>
internal sealed class NiftiHeader
{
    public const int Nifti1Size = 348;
    public const int Nifti2Size = 540;

    public int Version { get; init; } = 1;
    public bool BigEndian { get; init; }
    /// <summary>dim[1..dim[0]].</summary>
    public required long[] Dims { get; init; }
    public required NiftiDataType DataType { get; init; }
    /// <summary>pixdim[0..7] after the fixes above; pixdim[0] is qfac.</summary>
    public required double[] PixDim { get; init; }
    public long VoxOffset { get; init; }
    public double SclSlope { get; init; }
    public double SclInter { get; init; }
    public string Description { get; init; } = "";
    public int QformCode { get; init; }
    public int SformCode { get; init; }
    public double QuaternB { get; init; }
    public double QuaternC { get; init; }
    public double QuaternD { get; init; }
    public double[] QOffset { get; init; } = [0, 0, 0];
    /// <summary>srow_x, srow_y, srow_z as a 3×4 matrix.</summary>
    public double[,] SRows { get; init; } = new double[3, 4];
    /// <summary>True for the .hdr/.img pair magic ("ni1"/"ni2"), false for a single .nii ("n+1"/"n+2").</summary>
    public bool IsPair { get; init; }

    public int HeaderSize => Version == 1 ? Nifti1Size : Nifti2Size;

    /// <summary>scl_slope/scl_inter apply when the slope is finite and non-zero (nibabel's rule).</summary>
    public bool IsScaled => SclSlope != 0 && double.IsFinite(SclSlope);

    public int Volumes => Dims.Length >= 4 ? (int)Dims[3] : 1;

    /// <summary>The grid of one 3D volume: dims 1–3, padded with 1 for 1D and 2D images.</summary>
    public int[] GridDims => [.. Enumerable.Range(0, 3).Select(i => i < Dims.Length ? (int)Dims[i] : 1)];

    /// <summary>Reads and checks a header from the start of <paramref name="stream"/>.</summary>
    public static NiftiHeader Read(Stream stream, string source)
    {
        var block = new byte[Nifti2Size];
        int got = stream.ReadAtLeast(block.AsSpan(0, 4), 4, throwOnEndOfStream: false);
        if (got < 4) throw Bad(source, $"truncated header: the file holds only {got} bytes");
        int little = BinaryPrimitives.ReadInt32LittleEndian(block);
        int big = BinaryPrimitives.ReadInt32BigEndian(block);
        int size = little is Nifti1Size or Nifti2Size ? little : big is Nifti1Size or Nifti2Size ? big : 0;
        if (size == 0)
            throw Bad(source, $"not a NIfTI file: sizeof_hdr is {little} (expected {Nifti1Size} for NIfTI-1 or {Nifti2Size} for NIfTI-2)");
        got = 4 + stream.ReadAtLeast(block.AsSpan(4, size - 4), size - 4, throwOnEndOfStream: false);
        if (got < size) throw Bad(source, $"truncated header: {got} of {size} bytes");
        var fields = new FieldReader(block, bigEndian: little != size);
        return size == Nifti1Size ? ParseNifti1(fields, source) : ParseNifti2(fields, source);
    }

    static NiftiHeader ParseNifti1(FieldReader f, string source)
    {
        string magic = f.Text(344, 4);
        bool pair = magic == "ni1";
        if (magic != "n+1" && !pair)
            throw Bad(source, $"bad NIfTI-1 magic \"{Escape(f.Bytes(344, 4))}\" (expected \"n+1\" or \"ni1\"; ANALYZE 7.5 files are not supported)");
        var dim = Enumerable.Range(0, 8).Select(i => (long)f.Int16(40 + 2 * i)).ToArray();
        var pixdim = Enumerable.Range(0, 8).Select(i => (double)f.Single(76 + 4 * i)).ToArray();
        double voxOffset = f.Single(108);
        if (!double.IsFinite(voxOffset) || voxOffset < 0 || voxOffset != Math.Floor(voxOffset))
            throw Bad(source, $"vox_offset {voxOffset} is not a non-negative whole number");
        return Build(source, 1, f.BigEndian, pair, dim, f.Int16(70), pixdim, (long)voxOffset,
            f.Single(112), f.Single(116), f.Text(148, 80), f.Int16(252), f.Int16(254),
            [f.Single(256), f.Single(260), f.Single(264)], [f.Single(268), f.Single(272), f.Single(276)],
            Enumerable.Range(0, 12).Select(i => (double)f.Single(280 + 4 * i)).ToArray());
    }

    static NiftiHeader ParseNifti2(FieldReader f, string source)
    {
        string magic = f.Text(4, 4);
        bool pair = magic == "ni2";
        if (magic != "n+2" && !pair)
            throw Bad(source, $"bad NIfTI-2 magic \"{Escape(f.Bytes(4, 4))}\" (expected \"n+2\" or \"ni2\")");
        // The four bytes after the magic catch a file mangled by end-of-line conversion.
        var eol = f.Bytes(8, 4);
        if (!eol.SequenceEqual(new byte[] { 13, 10, 26, 10 }) && !eol.All(b => b == 0))
            throw Bad(source, "NIfTI-2 end-of-line check bytes are wrong: the file was altered by a text-mode transfer");
        var dim = Enumerable.Range(0, 8).Select(i => f.Int64(16 + 8 * i)).ToArray();
        var pixdim = Enumerable.Range(0, 8).Select(i => f.Double(104 + 8 * i)).ToArray();
        long voxOffset = f.Int64(168);
        if (voxOffset < 0) throw Bad(source, $"vox_offset {voxOffset} is negative");
        return Build(source, 2, f.BigEndian, pair, dim, f.Int16(12), pixdim, voxOffset,
            f.Double(176), f.Double(184), f.Text(240, 80), f.Int32(344), f.Int32(348),
            [f.Double(352), f.Double(360), f.Double(368)], [f.Double(376), f.Double(384), f.Double(392)],
            Enumerable.Range(0, 12).Select(i => f.Double(400 + 8 * i)).ToArray());
    }

    static NiftiHeader Build(string source, int version, bool bigEndian, bool pair, long[] dim, int datatype,
        double[] pixdim, long voxOffset, double slope, double inter, string description, int qformCode, int sformCode,
        double[] quatern, double[] qoffset, double[] srow)
    {
        if (dim[0] is < 1 or > 7) throw Bad(source, $"dim[0] = {dim[0]} is not a number of dimensions 1–7");
        var dims = dim[1..(int)(dim[0] + 1)];
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] <= 0) throw Bad(source, $"dim[{i + 1}] = {dims[i]}: every dimension must be at least 1 (dims [{string.Join(", ", dims)}])");
            if (dims[i] > int.MaxValue) throw Bad(source, $"dim[{i + 1}] = {dims[i]} is too large");
        }
        for (int i = 4; i < dims.Length; i++)
            if (dims[i] > 1)
                throw Bad(source, $"{dims.Length}D image with dim[{i + 1}] = {dims[i]} (vector or multi-component data) is not supported; only 3D and 4D");
        var type = NiftiDataType.FromCode(datatype)
            ?? throw Bad(source, $"unsupported datatype {NiftiDataType.Describe(datatype)}; supported: {NiftiDataType.SupportedNames}");
        int headerSize = version == 1 ? Nifti1Size : Nifti2Size;
        // A single file holds the header plus the 4-byte extension flag before the data.
        if (!pair && voxOffset < headerSize + 4)
            throw Bad(source, $"vox_offset {voxOffset} points inside the header (a single-file NIfTI-{version} needs at least {headerSize + 4})");
        // NaN or 0 means "no scaling" (NIfTI-1 standard, nibabel); an infinite slope scales every voxel to ±∞ or NaN.
        if (double.IsInfinity(slope)) throw Bad(source, $"scl_slope is {slope}: infinite scaling leaves no finite voxel value");
        if (slope != 0 && double.IsFinite(slope) && !double.IsFinite(inter))
            throw Bad(source, $"scl_slope {slope} is valid but scl_inter is {inter}");

        var fixedPixdim = (double[])pixdim.Clone();
        fixedPixdim[0] = pixdim[0] == -1 ? -1 : 1;
        for (int i = 1; i <= 3; i++) fixedPixdim[i] = pixdim[i] == 0 ? 1 : Math.Abs(pixdim[i]);
        var rows = new double[3, 4];
        for (int i = 0; i < 12; i++) rows[i / 4, i % 4] = srow[i];
        return new NiftiHeader
        {
            Version = version,
            BigEndian = bigEndian,
            IsPair = pair,
            Dims = dims,
            DataType = type,
            PixDim = fixedPixdim,
            VoxOffset = voxOffset,
            SclSlope = slope,
            SclInter = inter,
            Description = description,
            QformCode = qformCode is >= 1 and <= 5 ? qformCode : 0,
            SformCode = sformCode is >= 1 and <= 5 ? sformCode : 0,
            QuaternB = quatern[0],
            QuaternC = quatern[1],
            QuaternD = quatern[2],
            QOffset = qoffset,
            SRows = rows,
        };
    }

    /// <summary>The affine nibabel reports: sform if its code is set, else qform if set, else the base affine.</summary>
    public double[,] BestAffine(string source) =>
        SformCode != 0 ? Sform()! : QformCode != 0 ? Qform(source)! : BaseAffine();

    /// <summary>srow_x/y/z as a 4×4 affine; null when sform_code is 0.</summary>
    public double[,]? Sform()
    {
        if (SformCode == 0) return null;
        var a = Volume.Identity();
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++) a[r, c] = SRows[r, c];
        return a;
    }

    /// <summary>
    /// The quaternion affine: R·diag(pixdim[1], pixdim[2], qfac·pixdim[3]) plus the qoffset;
    /// null when qform_code is 0.
    /// </summary>
    public double[,]? Qform(string source)
    {
        if (QformCode == 0) return null;
        // nibabel's tolerance: three machine epsilons of the stored precision (float32 in NIfTI-1).
        double tolerance = 3 * Math.ScaleB(1, Version == 1 ? -23 : -52);
        var r = AffineMath.QuaternionToRotation(QuaternB, QuaternC, QuaternD, tolerance)
            ?? throw Bad(source, $"qform quaternion ({QuaternB}, {QuaternC}, {QuaternD}) is not a unit quaternion (b² + c² + d² > 1)");
        double[] zoom = [PixDim[1], PixDim[2], PixDim[3] * PixDim[0]];
        var a = Volume.Identity();
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++) a[i, j] = r[i, j] * zoom[j];
            a[i, 3] = QOffset[i];
        }
        return a;
    }

    /// <summary>
    /// nibabel's affine when neither qform nor sform is set (ANALYZE convention): voxel sizes on
    /// the diagonal with x flipped, and the centre of the grid at the world origin.
    /// </summary>
    public double[,] BaseAffine()
    {
        var grid = GridDims;
        double[] zoom = [-(Dims.Length >= 1 ? PixDim[1] : 1), Dims.Length >= 2 ? PixDim[2] : 1, Dims.Length >= 3 ? PixDim[3] : 1];
        var a = Volume.Identity();
        for (int i = 0; i < 3; i++)
        {
            a[i, i] = zoom[i];
            a[i, 3] = -(grid[i] - 1) / 2.0 * zoom[i];
        }
        return a;
    }

    /// <summary>The NIfTI-1 single-file encoding (little-endian) plus the empty 4-byte extension flag.</summary>
    public byte[] ToNifti1Bytes()
    {
        var b = new byte[Nifti1Size + 4];
        var s = b.AsSpan();
        BinaryPrimitives.WriteInt32LittleEndian(s, Nifti1Size);
        BinaryPrimitives.WriteInt16LittleEndian(s[40..], (short)Dims.Length);
        for (int i = 1; i < 8; i++)
            BinaryPrimitives.WriteInt16LittleEndian(s[(40 + 2 * i)..], (short)(i <= Dims.Length ? Dims[i - 1] : 1));
        BinaryPrimitives.WriteInt16LittleEndian(s[70..], DataType.Code);
        BinaryPrimitives.WriteInt16LittleEndian(s[72..], (short)(8 * DataType.Size));
        for (int i = 0; i < 8; i++) BinaryPrimitives.WriteSingleLittleEndian(s[(76 + 4 * i)..], (float)PixDim[i]);
        BinaryPrimitives.WriteSingleLittleEndian(s[108..], VoxOffset);
        BinaryPrimitives.WriteSingleLittleEndian(s[112..], (float)SclSlope);
        BinaryPrimitives.WriteSingleLittleEndian(s[116..], (float)SclInter);
        s[123] = 2; // xyzt_units: millimetres
        var descrip = Encoding.ASCII.GetBytes(Description);
        descrip.AsSpan(0, Math.Min(descrip.Length, 79)).CopyTo(s[148..]);
        BinaryPrimitives.WriteInt16LittleEndian(s[252..], (short)QformCode);
        BinaryPrimitives.WriteInt16LittleEndian(s[254..], (short)SformCode);
        double[] q = [QuaternB, QuaternC, QuaternD, QOffset[0], QOffset[1], QOffset[2]];
        for (int i = 0; i < 6; i++) BinaryPrimitives.WriteSingleLittleEndian(s[(256 + 4 * i)..], (float)q[i]);
        for (int i = 0; i < 12; i++) BinaryPrimitives.WriteSingleLittleEndian(s[(280 + 4 * i)..], (float)SRows[i / 4, i % 4]);
        "n+1\0"u8.CopyTo(s[344..]);
        return b;
    }

    static string Escape(byte[] bytes) =>
        string.Concat(bytes.Select(b => b is >= 32 and < 127 ? ((char)b).ToString() : $"\\x{b:x2}"));

    static InvalidDataException Bad(string source, string problem) => new($"{source}: {problem}");

    /// <summary>Reads header fields at byte offsets in the file's byte order.</summary>
    readonly struct FieldReader(byte[] block, bool bigEndian)
    {
        public bool BigEndian => bigEndian;
        ReadOnlySpan<byte> At(int offset) => block.AsSpan(offset);
        public short Int16(int o) => bigEndian ? BinaryPrimitives.ReadInt16BigEndian(At(o)) : BinaryPrimitives.ReadInt16LittleEndian(At(o));
        public int Int32(int o) => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(At(o)) : BinaryPrimitives.ReadInt32LittleEndian(At(o));
        public long Int64(int o) => bigEndian ? BinaryPrimitives.ReadInt64BigEndian(At(o)) : BinaryPrimitives.ReadInt64LittleEndian(At(o));
        public float Single(int o) => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(At(o)) : BinaryPrimitives.ReadSingleLittleEndian(At(o));
        public double Double(int o) => bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(At(o)) : BinaryPrimitives.ReadDoubleLittleEndian(At(o));
        public byte[] Bytes(int o, int count) => block.AsSpan(o, count).ToArray();
        /// <summary>A zero-terminated Latin-1 string field.</summary>
        public string Text(int o, int count)
        {
            var span = block.AsSpan(o, count);
            int end = span.IndexOf((byte)0);
            return Encoding.Latin1.GetString(end < 0 ? span : span[..end]);
        }
    }
}
