using System.Text;

namespace SegSam.Data.DicomWeb;

/// <summary>
/// Reads a multipart body (RFC 2046 §5.1.1, as WADO-RS uses it for multipart/related, PS3.18
/// §8.6.1.2) part by part from a stream, copying each part's content to a sink without holding
/// it in memory. A part ends where CRLF "--" boundary begins; the body's first delimiter may
/// come without the CRLF (the reader starts as if one preceded the body), a preamble before it
/// and an epilogue after the close delimiter "--boundary--" are ignored. Anything else that is
/// not such a body — a missing delimiter, a truncated part, headers without their blank line,
/// a part over its size limit — is a <see cref="DicomWebException"/> naming the URL.
/// </summary>
sealed class MultipartReader
{
    const int HeaderLimit = 16 << 10;
    const int PreambleLimit = 1 << 20;

    readonly Stream body;
    readonly Uri url;
    readonly byte[] delimiter;
    readonly byte[] buffer;
    int start, end;
    bool eof, finished;

    public MultipartReader(Stream body, string boundary, Uri url)
    {
        // RFC 2046 §5.1.1: 1 to 70 characters, no trailing space.
        if (boundary.Length is 0 or > 200) throw Malformed($"the boundary parameter has {boundary.Length} characters");
        this.body = body;
        this.url = url;
        delimiter = Encoding.ASCII.GetBytes("\r\n--" + boundary);
        buffer = new byte[(64 << 10) + delimiter.Length];
        buffer[0] = (byte)'\r';
        buffer[1] = (byte)'\n';
        end = 2;
    }

    /// <summary>Parts read so far.</summary>
    public int PartCount { get; private set; }

    /// <summary>
    /// Moves to the next part and returns its headers (names lower-case), or null after the close
    /// delimiter. The caller must then copy the part's content with <see cref="CopyPart"/>.
    /// </summary>
    public Dictionary<string, string>? NextPart()
    {
        if (finished) return null;
        if (PartCount == 0 && !SkipTo(Stream.Null, PreambleLimit, out _))
            throw Malformed("it holds no multipart delimiter (the body is not multipart, or its boundary differs from the Content-Type's)");
        // After a delimiter: "--" closes the body; otherwise optional transport padding, then CRLF.
        Need(2, "after a delimiter");
        if (buffer[start] == '-' && buffer[start + 1] == '-')
        {
            finished = true;
            return null;
        }
        while (Available(1) && buffer[start] is (byte)' ' or (byte)'\t') start++;
        Need(2, "after a delimiter");
        if (buffer[start] != '\r' || buffer[start + 1] != '\n') throw Malformed($"part {PartCount + 1}: the delimiter line does not end in CRLF");
        start += 2;
        PartCount++;
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        int headerBytes = 0;
        while (true)
        {
            string line = ReadLine(ref headerBytes);
            if (line.Length == 0) return headers;
            int colon = line.IndexOf(':');
            if (colon <= 0) throw Malformed($"part {PartCount}: header line \"{Preview(line)}\" is not NAME: VALUE");
            headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
        }
    }

    /// <summary>Copies the current part's content to <paramref name="sink"/>; more than <paramref name="limit"/> bytes is an error.</summary>
    public long CopyPart(Stream sink, long limit, string limitName)
    {
        if (!SkipTo(sink, limit, out long copied))
        {
            if (copied > limit) throw Malformed($"part {PartCount} is larger than {limitName} ({limit} bytes)");
            throw Malformed($"it ends inside part {PartCount} after {copied} bytes, before the next delimiter (truncated answer?)");
        }
        return copied;
    }

    /// <summary>
    /// Copies bytes up to the next delimiter to <paramref name="sink"/> and steps past it. False when
    /// the body ends first or more than <paramref name="limit"/> bytes come before it.
    /// </summary>
    bool SkipTo(Stream sink, long limit, out long copied)
    {
        copied = 0;
        while (true)
        {
            int found = buffer.AsSpan(start, end - start).IndexOf(delimiter);
            if (found >= 0)
            {
                copied += found;
                if (copied > limit) return false;
                sink.Write(buffer, start, found);
                start += found + delimiter.Length;
                return true;
            }
            // Keep the last delimiter-length − 1 bytes: a delimiter may straddle the next read.
            int safe = Math.Max(0, end - start - (delimiter.Length - 1));
            copied += safe;
            if (copied > limit) return false;
            sink.Write(buffer, start, safe);
            start += safe;
            if (eof) return false;
            Fill();
        }
    }

    string ReadLine(ref int headerBytes)
    {
        while (true)
        {
            int crlf = buffer.AsSpan(start, end - start).IndexOf("\r\n"u8);
            if (crlf >= 0)
            {
                string line = Encoding.Latin1.GetString(buffer, start, crlf);
                start += crlf + 2;
                headerBytes += crlf + 2;
                if (headerBytes > HeaderLimit) break;
                return line;
            }
            if (end - start + headerBytes > HeaderLimit) break;
            if (eof) throw Malformed($"it ends inside the headers of part {PartCount}");
            Fill();
        }
        throw Malformed($"part {PartCount}: headers longer than {HeaderLimit} bytes");
    }

    bool Available(int count)
    {
        while (end - start < count && !eof) Fill();
        return end - start >= count;
    }

    void Need(int count, string where)
    {
        if (!Available(count)) throw Malformed($"it ends {where} (no close delimiter \"--boundary--\"; truncated answer?)");
    }

    void Fill()
    {
        if (start > 0)
        {
            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }
        if (end == buffer.Length) return;
        int read = body.Read(buffer, end, buffer.Length - end);
        if (read == 0) eof = true;
        end += read;
    }

    DicomWebException Malformed(string problem) => new($"{url}: malformed multipart answer: {problem}", url);

    static string Preview(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
