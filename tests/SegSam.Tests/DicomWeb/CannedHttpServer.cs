using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SegSam.Tests.DicomWeb;

/// <summary>
/// A loopback HTTP/1.1 server that answers every request with bytes the test chose (a truncated
/// multipart body, a wrong boundary, a 409 STOW answer …), which no real PACS would send on
/// purpose, and records each request's head (request line and headers). One connection at a time;
/// each answer closes its connection.
/// </summary>
public sealed class CannedHttpServer : IDisposable
{
    readonly TcpListener listener = new(IPAddress.Loopback, 0);
    readonly Func<string, byte[]> answer;
    readonly Thread loop;
    readonly List<string> requests = [];

    /// <param name="answer">The raw response (status line, headers, body) for a request, given its head.</param>
    public CannedHttpServer(Func<string, byte[]> answer)
    {
        this.answer = answer;
        listener.Start();
        loop = new Thread(Serve) { IsBackground = true, Name = "canned-http" };
        loop.Start();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/dicom-web";

    /// <summary>The heads of the requests received so far.</summary>
    public IReadOnlyList<string> Requests { get { lock (requests) return [.. requests]; } }

    /// <summary>A response with <paramref name="contentType"/> and <paramref name="body"/> (Content-Length given unless <paramref name="length"/> says otherwise).</summary>
    public static byte[] Response(int status, string? contentType, byte[] body, long? length = null)
    {
        var head = new StringBuilder($"HTTP/1.1 {status} {Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status)}\r\nConnection: close\r\n");
        if (contentType is not null) head.Append($"Content-Type: {contentType}\r\n");
        head.Append($"Content-Length: {length ?? body.Length}\r\n\r\n");
        return [.. Encoding.ASCII.GetBytes(head.ToString()), .. body];
    }

    void Serve()
    {
        while (true)
        {
            TcpClient client;
            try { client = listener.AcceptTcpClient(); }
            catch (SocketException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (InvalidOperationException) { return; } // stopped before accepting
            using (client)
            {
                try
                {
                    var stream = client.GetStream();
                    string head = ReadHead(stream);
                    lock (requests) requests.Add(head);
                    // Read the request's body (if any) so that the client sees the answer, not a reset.
                    var length = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                    if (length is not null) stream.ReadExactly(new byte[long.Parse(length["Content-Length:".Length..].Trim())]);
                    stream.Write(answer(head));
                    client.Client.Shutdown(SocketShutdown.Send);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    static string ReadHead(Stream stream)
    {
        var bytes = new List<byte>();
        while (bytes.Count < 4 || !(bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n'))
        {
            int b = stream.ReadByte();
            if (b < 0) break;
            bytes.Add((byte)b);
        }
        return Encoding.Latin1.GetString(bytes.ToArray());
    }

    public void Dispose()
    {
        listener.Stop();
        loop.Join(TimeSpan.FromSeconds(5));
    }
}
