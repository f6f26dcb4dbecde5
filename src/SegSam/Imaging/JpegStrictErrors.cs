using BitMiracle.LibJpeg.Classic;

namespace SegSam.Imaging;

/// <summary>
/// libjpeg's error manager made strict: a warning stops decoding as an error does. libjpeg
/// warns and goes on where the data is damaged — it pads a truncated file with a fake
/// end-of-image marker and decodes the missing blocks as zeros, skips garbage before a marker,
/// resynchronises after a bad restart marker, replaces a bad Huffman code with zeros — so a
/// lenient reader returns gray or garbage pixels with no sign of it. The one warning let
/// through is the end of the file ("premature end of JPEG file"), only noted in
/// <see cref="EndOfFile"/>: libjpeg reads ahead of the data it needs, so the end shows there
/// before it is known whether any image data is missing (a warning that the data ran out
/// follows if so), and the reader refuses the file either way. Trace messages are ignored.
/// </summary>
internal sealed class JpegStrictErrors : jpeg_error_mgr
{
    /// <summary>A libjpeg warning or error, with its message code, that ended decoding.</summary>
    internal sealed class Stop(J_MESSAGE_CODE code, string text) : Exception(text)
    {
        public J_MESSAGE_CODE Code { get; } = code;
    }

    J_MESSAGE_CODE lastCode;

    /// <summary>Whether libjpeg has read past the end of the file (and met the fake end-of-image marker it put there).</summary>
    public bool EndOfFile { get; private set; }

    public override void error_exit() => throw Current();

    public override void emit_message(int msg_level)
    {
        if (msg_level >= 0) return;
        var warning = Current();
        if (warning.Code == J_MESSAGE_CODE.JWRN_JPEG_EOF) EndOfFile = true;
        else throw warning;
    }

    // The default writes to the console (or a debug listener); every message here becomes an exception instead.
    public override void output_message() { }

    Stop Current()
    {
        string text = format_message(); // sets lastCode through GetMessageText
        return new Stop(lastCode, text);
    }

    // format_message looks the text up by the message code, which libjpeg keeps internal: this
    // is the one place the code can be seen.
    protected override string GetMessageText(int code)
    {
        lastCode = (J_MESSAGE_CODE)code;
        return base.GetMessageText(code);
    }
}
