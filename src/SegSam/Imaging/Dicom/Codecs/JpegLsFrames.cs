using System.Runtime.InteropServices;

namespace SegSam.Imaging.Dicom.Codecs;

/// <summary>
/// JPEG-LS frames (lossless and near-lossless, PS3.5 §8.2.3, ISO 14495-1) decoded by CharLS
/// (Debian's libcharls2, libcharls.so.2, BSD-3) through its C API. The header is read and
/// checked against the dataset (size, components, bits) before CharLS writes a single byte, and
/// it writes into a buffer of exactly the size it asks for; its error codes become the reader's
/// format errors with CharLS's own message. Colour frames of every interleave mode come out
/// interleaved pixel by pixel.
/// </summary>
internal static partial class JpegLsFrames
{
    const string Library = "libcharls.so.2";

    [StructLayout(LayoutKind.Sequential)]
    struct FrameInfo
    {
        public uint Width;
        public uint Height;
        public int BitsPerSample;
        public int ComponentCount;
    }

    public static unsafe byte[] Decode(byte[] frame, FrameLayout layout, Func<string, Exception> error)
    {
        if (layout.BytesPerSample is not (1 or 2)) throw error($"JPEG-LS frames with {layout.BitsAllocated} bits allocated are not supported (8 or 16)");
        nint decoder;
        try
        {
            decoder = Create();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw error($"JPEG-LS needs CharLS ({Library}; Debian package libcharls2, see scripts/setup.sh): {e.Message}");
        }
        if (decoder == 0) throw error("CharLS could not create a decoder");
        try
        {
            fixed (byte* source = frame)
            {
                Check(SetSource(decoder, source, (nuint)frame.Length), "reading the stream", error);
                Check(ReadHeader(decoder), "reading the JPEG-LS header", error);
                FrameInfo info;
                Check(GetFrameInfo(decoder, &info), "reading the frame header", error);
                if (info.Width != layout.Columns || info.Height != layout.Rows || info.ComponentCount != layout.Samples)
                    throw error($"the JPEG-LS frame is {info.Width} × {info.Height} with {info.ComponentCount} component(s); " +
                                $"the dataset says {layout.Columns} × {layout.Rows} with {layout.Samples}");
                if (info.BitsPerSample < 2 || info.BitsPerSample > layout.BitsAllocated || (info.BitsPerSample > 8) != (layout.BytesPerSample == 2))
                    throw error($"the JPEG-LS frame has {info.BitsPerSample}-bit samples; the dataset allocates {layout.BitsAllocated} bits");
                nuint size;
                Check(GetDestinationSize(decoder, 0, &size), "sizing the output", error);
                if (size != (nuint)layout.FrameBytes)
                    throw error($"CharLS would write {size} bytes; the frame has {layout.FrameBytes}");
                var output = new byte[layout.FrameBytes];
                fixed (byte* destination = output)
                    Check(DecodeToBuffer(decoder, destination, size, 0), "decoding", error);
                if (info.ComponentCount == 1) return output;
                // CharLS writes a frame of interleave mode "none" (each component its own scan)
                // plane by plane, and line- or sample-interleaved frames pixel by pixel; any
                // HP colour transform (ISO 14495-2) is undone by CharLS.
                int mode;
                Check(GetInterleaveMode(decoder, &mode), "reading the interleave mode", error);
                return mode == 0 ? ColourSamples.Interleave(output, (long)layout.Rows * layout.Columns, 1, layout.Samples, layout.BytesPerSample) : output;
            }
        }
        finally
        {
            Destroy(decoder);
        }
    }

    static void Check(int code, string what, Func<string, Exception> error)
    {
        if (code != 0) throw error($"CharLS failed {what}: {Marshal.PtrToStringUTF8(ErrorMessage(code)) ?? "error " + code}");
    }

    [LibraryImport(Library, EntryPoint = "charls_jpegls_decoder_create")]
    private static partial nint Create();

    [LibraryImport(Library, EntryPoint = "charls_jpegls_decoder_destroy")]
    private static partial void Destroy(nint decoder);

    [LibraryImport(Library, EntryPoint = "charls_jpegls_decoder_set_source_buffer")]
    private static unsafe partial int SetSource(nint decoder, byte* source, nuint size);

    [LibraryImport(Library, EntryPoint = "charls_jpegls_decoder_read_header")]
    private static partial int ReadHeader(nint decoder);

    [LibraryImport(Library, EntryPoint = "charls_jpegls_decoder_get_frame_info")]
    private static unsafe partial int GetFrameInfo(nint decoder, FrameInfo* info);

    [LibraryImport(Library, EntryPoint = "charls_jpegls_decoder_get_destination_size")]
    private static unsafe partial int GetDestinationSize(nint decoder, uint stride, nuint* size);

    [LibraryImport(Library, EntryPoint = "charls_jpegls_decoder_decode_to_buffer")]
    private static unsafe partial int DecodeToBuffer(nint decoder, byte* destination, nuint size, uint stride);

    [LibraryImport(Library, EntryPoint = "charls_jpegls_decoder_get_interleave_mode")]
    private static unsafe partial int GetInterleaveMode(nint decoder, int* mode);

    [LibraryImport(Library, EntryPoint = "charls_get_error_message")]
    private static partial nint ErrorMessage(int code);
}
