using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SegSam.Imaging.Dicom.Codecs;

/// <summary>
/// JPEG 2000 frames (lossless and lossy, PS3.5 §8.2.4, ISO 15444-1) and High-Throughput JPEG
/// 2000 frames (PS3.5 §8.2.15, ISO 15444-15, whose HT block coder OpenJPEG decodes since 2.5.0),
/// a codestream or a JP2 file, decoded by OpenJPEG (Debian's libopenjp2-7, libopenjp2.so.7, BSD-2) through its C API. The
/// frame is handed over as a bounded in-memory stream (read, skip and seek never leave it); the
/// main header is read and checked against the dataset (size, components, precision) before
/// OpenJPEG decodes anything; OpenJPEG's error messages become the reader's format errors.
/// Struct offsets are those of openjpeg.h 2.5 on 64-bit Linux. Colour comes out as the stored
/// components, interleaved; OpenJPEG undoes the reversible or irreversible component transform
/// (YBR_RCT, YBR_ICT) itself.
/// </summary>
internal static unsafe partial class Jpeg2000Frames
{
    const string Library = "libopenjp2.so.7";
    const int CodecJ2k = 0, CodecJp2 = 2;
    /// <summary>sizeof(opj_dparameters_t) is 8252 bytes in 2.5; room to spare for later versions.</summary>
    const int ParametersSize = 16384;

    /// <summary>The stream's user data: the frame's bytes and the read position.</summary>
    struct Source
    {
        public byte* Data;
        public long Length;
        public long Position;
    }

    /// <summary>The last message OpenJPEG's error handler gave on this thread.</summary>
    [ThreadStatic] static string? lastError;

    public static byte[] Decode(byte[] frame, FrameLayout layout, Func<string, Exception> error)
    {
        if (layout.BytesPerSample is not (1 or 2)) throw error($"JPEG 2000 frames with {layout.BitsAllocated} bits allocated are not supported (8 or 16)");
        int format = frame.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xFF, 0x4F, 0xFF, 0x51]) ? CodecJ2k
            : frame.AsSpan().StartsWith((ReadOnlySpan<byte>)[0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20]) ? CodecJp2
            : throw error("the frame is neither a JPEG 2000 codestream (FF4F FF51) nor a JP2 file");
        nint codec;
        try
        {
            codec = CreateDecompress(format);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw error($"JPEG 2000 needs OpenJPEG ({Library}; Debian package libopenjp2-7, see scripts/setup.sh): {e.Message}");
        }
        if (codec == 0) throw error("OpenJPEG could not create a decoder");
        nint stream = 0, image = 0;
        lastError = null;
        try
        {
            fixed (byte* data = frame)
            {
                var source = new Source { Data = data, Length = frame.Length };
                var parameters = stackalloc byte[ParametersSize];
                new Span<byte>(parameters, ParametersSize).Clear();
                SetDefaultDecoderParameters(parameters);
                SetErrorHandler(codec, &OnError, 0);
                if (SetupDecoder(codec, parameters) == 0) throw Failed("setting up the decoder", error);
                stream = StreamDefaultCreate(1);
                if (stream == 0) throw error("OpenJPEG could not create a stream");
                StreamSetReadFunction(stream, &Read);
                StreamSetSkipFunction(stream, &Skip);
                StreamSetSeekFunction(stream, &Seek);
                StreamSetUserData(stream, &source, 0);
                StreamSetUserDataLength(stream, (ulong)frame.Length);

                if (ReadHeader(stream, codec, &image) == 0 || image == 0) throw Failed("reading the header", error);
                CheckImage(image, layout, decoded: false, error);
                if (DecodeImage(codec, stream, image) == 0 || EndDecompress(codec, stream) == 0) throw Failed("decoding", error);
                CheckImage(image, layout, decoded: true, error);
                return Samples(image, layout);
            }
        }
        finally
        {
            if (image != 0) ImageDestroy(image);
            if (stream != 0) StreamDestroy(stream);
            DestroyCodec(codec);
        }
    }

    static Exception Failed(string what, Func<string, Exception> error) =>
        error($"OpenJPEG failed {what}{(lastError is null ? "" : ": " + lastError.Trim())}");

    // opj_image_t: x0, y0, x1, y1, numcomps (uint32 at 0, 4, 8, 12, 16), comps (pointer at 24).
    // opj_image_comp_t (64 bytes): dx, dy, w, h, x0, y0, prec, bpp, sgnd (uint32 at 0 … 32), data (int32* at 48).
    static uint Field(nint at, int offset) => *(uint*)(at + offset);

    static void CheckImage(nint image, FrameLayout layout, bool decoded, Func<string, Exception> error)
    {
        uint width = Field(image, 8) - Field(image, 0), height = Field(image, 12) - Field(image, 4), components = Field(image, 16);
        nint comps = *(nint*)(image + 24);
        if (width != layout.Columns || height != layout.Rows || components != layout.Samples || comps == 0)
            throw error($"the JPEG 2000 image is {width} × {height} with {components} component(s); " +
                        $"the dataset says {layout.Columns} × {layout.Rows} with {layout.Samples}");
        for (int c = 0; c < components; c++)
        {
            nint comp = comps + 64 * c;
            uint precision = Field(comp, 24);
            if (Field(comp, 0) != 1 || Field(comp, 4) != 1)
                throw error($"JPEG 2000 component {c} is subsampled ({Field(comp, 0)} × {Field(comp, 4)})");
            if (precision < 1 || precision > layout.BitsAllocated)
                throw error($"JPEG 2000 component {c} has {precision}-bit samples; the dataset allocates {layout.BitsAllocated} bits");
            if (decoded && (Field(comp, 8) != layout.Columns || Field(comp, 12) != layout.Rows || *(nint*)(comp + 48) == 0))
                throw error($"JPEG 2000 component {c} decoded to {Field(comp, 8)} × {Field(comp, 12)} samples");
        }
    }

    /// <summary>The decoded samples, interleaved, as native little-endian bytes (signed samples keep their two's-complement bits).</summary>
    static byte[] Samples(nint image, FrameLayout layout)
    {
        var output = new byte[layout.FrameBytes];
        nint comps = *(nint*)(image + 24);
        long pixels = (long)layout.Rows * layout.Columns;
        for (int c = 0; c < layout.Samples; c++)
        {
            int* data = *(int**)(comps + 64 * c + 48);
            for (long p = 0; p < pixels; p++)
            {
                long at = (p * layout.Samples + c) * layout.BytesPerSample;
                int v = data[p];
                output[at] = (byte)v;
                if (layout.BytesPerSample == 2) output[at + 1] = (byte)(v >> 8);
            }
        }
        return output;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static void OnError(byte* message, nint client) => lastError = Marshal.PtrToStringUTF8((nint)message);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static nuint Read(byte* buffer, nuint count, Source* source)
    {
        long left = source->Length - source->Position;
        if (left <= 0) return nuint.MaxValue;   // (OPJ_SIZE_T)-1: the end of the stream
        long n = (ulong)count < (ulong)left ? (long)count : left;   // left > 0, so the cast of count is in range
        new ReadOnlySpan<byte>(source->Data + source->Position, (int)n).CopyTo(new Span<byte>(buffer, (int)n));
        source->Position += n;
        return (nuint)n;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static long Skip(long count, Source* source)
    {
        long target = Math.Clamp(source->Position + count, 0, source->Length);
        long skipped = target - source->Position;
        source->Position = target;
        return count > 0 && skipped == 0 ? -1 : skipped;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    static int Seek(long position, Source* source)
    {
        if (position < 0 || position > source->Length) return 0;
        source->Position = position;
        return 1;
    }

    [LibraryImport(Library, EntryPoint = "opj_create_decompress")]
    private static partial nint CreateDecompress(int format);

    [LibraryImport(Library, EntryPoint = "opj_set_default_decoder_parameters")]
    private static partial void SetDefaultDecoderParameters(byte* parameters);

    [LibraryImport(Library, EntryPoint = "opj_setup_decoder")]
    private static partial int SetupDecoder(nint codec, byte* parameters);

    [LibraryImport(Library, EntryPoint = "opj_set_error_handler")]
    private static partial int SetErrorHandler(nint codec, delegate* unmanaged[Cdecl]<byte*, nint, void> handler, nint client);

    [LibraryImport(Library, EntryPoint = "opj_stream_default_create")]
    private static partial nint StreamDefaultCreate(int isInput);

    [LibraryImport(Library, EntryPoint = "opj_stream_set_read_function")]
    private static partial void StreamSetReadFunction(nint stream, delegate* unmanaged[Cdecl]<byte*, nuint, Source*, nuint> read);

    [LibraryImport(Library, EntryPoint = "opj_stream_set_skip_function")]
    private static partial void StreamSetSkipFunction(nint stream, delegate* unmanaged[Cdecl]<long, Source*, long> skip);

    [LibraryImport(Library, EntryPoint = "opj_stream_set_seek_function")]
    private static partial void StreamSetSeekFunction(nint stream, delegate* unmanaged[Cdecl]<long, Source*, int> seek);

    [LibraryImport(Library, EntryPoint = "opj_stream_set_user_data")]
    private static partial void StreamSetUserData(nint stream, Source* data, nint free);

    [LibraryImport(Library, EntryPoint = "opj_stream_set_user_data_length")]
    private static partial void StreamSetUserDataLength(nint stream, ulong length);

    [LibraryImport(Library, EntryPoint = "opj_read_header")]
    private static partial int ReadHeader(nint stream, nint codec, nint* image);

    [LibraryImport(Library, EntryPoint = "opj_decode")]
    private static partial int DecodeImage(nint codec, nint stream, nint image);

    [LibraryImport(Library, EntryPoint = "opj_end_decompress")]
    private static partial int EndDecompress(nint codec, nint stream);

    [LibraryImport(Library, EntryPoint = "opj_image_destroy")]
    private static partial void ImageDestroy(nint image);

    [LibraryImport(Library, EntryPoint = "opj_stream_destroy")]
    private static partial void StreamDestroy(nint stream);

    [LibraryImport(Library, EntryPoint = "opj_destroy_codec")]
    private static partial void DestroyCodec(nint codec);
}
