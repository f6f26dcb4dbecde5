using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SegSam.Imaging.Dicom;

namespace SegSam.Data.DicomWeb;

/// <summary>
/// A client of a DICOMweb server (a PACS, Orthanc, dcm4chee, a cloud healthcare API) rooted at a
/// service URL such as http://localhost:8042/dicom-web: QIDO-RS searches for studies and series
/// (PS3.18 §10.6, JSON answers in the DICOM JSON Model of Annex F), WADO-RS retrieval of a series
/// as multipart/related Part 10 files (§10.4), STOW-RS storage of Part 10 files (§10.5).
/// Retrieval asks for the instances as stored (transfer-syntax=*, §8.7.3.5.2), so compressed
/// series arrive compressed and are decoded by the DICOM reader as files would be.
/// Every failure is a <see cref="DicomWebException"/> naming the URL (and the HTTP status when
/// one came); bad arguments (a UID that is not one, a URL that is not http(s)) are
/// <see cref="ArgumentException"/>s.
/// </summary>
public sealed partial class DicomWebClient
{
    // One pooled connection handler for the process; timeouts are per request (see Timeout).
    static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(15),
        AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
    })
    {
        Timeout = System.Threading.Timeout.InfiniteTimeSpan,
    };

    const string DicomMediaType = "application/dicom";
    const string DicomJsonMediaType = "application/dicom+json";

    /// <summary>A client of the service at <paramref name="serviceUrl"/> (see <see cref="ServiceRoot"/>), authenticating with <paramref name="credentials"/> (default none).</summary>
    public DicomWebClient(string serviceUrl, DicomWebCredentials? credentials = null)
    {
        BaseUri = ServiceRoot(serviceUrl);
        Credentials = credentials ?? DicomWebCredentials.None;
    }

    /// <summary>The service root, always ending in "/".</summary>
    public Uri BaseUri { get; }

    public DicomWebCredentials Credentials { get; }

    /// <summary>How long a search or a store may take, answer included.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>How long retrieving one series may take, all its instances included.</summary>
    public TimeSpan RetrieveTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Largest instance a retrieval accepts; a larger part is an error before it fills the disk.</summary>
    public long MaxInstanceBytes { get; init; } = 2L << 30;

    /// <summary>Most bytes one retrieved series may hold in all.</summary>
    public long MaxSeriesBytes { get; init; } = 16L << 30;

    /// <summary>Most instances one retrieved series may hold.</summary>
    public int MaxInstances { get; init; } = 20_000;

    /// <summary>
    /// Most characters of a JSON or text answer (a search, a STOW-RS response, an error page), which
    /// is held in memory: 64 Mi, thousands of times a study's series list.
    /// </summary>
    public int MaxTextChars { get; init; } = 64 << 20;

    /// <summary>
    /// The service root of <paramref name="url"/>: an absolute http or https URL without query or
    /// fragment, with a trailing "/" so that "studies" resolves below it.
    /// </summary>
    public static Uri ServiceRoot(string url)
    {
        if (!Uri.TryCreate(url?.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"DICOMweb URL '{url}' is not an http(s) URL (e.g. http://localhost:8042/dicom-web)");
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
            throw new ArgumentException($"DICOMweb URL '{url}' must not have a query or fragment; give the service root, e.g. http://localhost:8042/dicom-web");
        if (uri.UserInfo.Length > 0)
            throw new ArgumentException($"DICOMweb URL '{url}' must not carry a user name or password; set {DicomWebCredentials.UserVariable} and {DicomWebCredentials.PasswordVariable}");
        return new UriBuilder(uri) { Path = uri.AbsolutePath.TrimEnd('/') + "/" }.Uri;
    }

    /// <summary>Throws unless <paramref name="uid"/> is a DICOM UID: dot-separated digits, at most 64 characters (PS3.5 §9.1).</summary>
    public static string CheckUid(string? uid, string what)
    {
        if (!DicomUids.IsValid(uid))
            throw new ArgumentException($"{what} '{uid}' is not a DICOM UID (digits separated by dots, at most 64 characters)");
        return uid!;
    }

    // ---- QIDO-RS --------------------------------------------------------------------------------

    /// <summary>The studies the server holds (QIDO-RS "studies"), or the one with <paramref name="studyUid"/>.</summary>
    public IReadOnlyList<DicomWebStudy> SearchStudies(string? studyUid = null)
    {
        string query = studyUid is null ? "studies" : $"studies?StudyInstanceUID={CheckUid(studyUid, "study UID")}";
        return Search(query + (studyUid is null ? "?" : "&") + "includefield=00081030&includefield=00080061&includefield=00201206&includefield=00201208")
            .Select(d => new DicomWebStudy(DicomJson.Text(d, DicomJson.StudyInstanceUid) ?? "", DicomJson.Text(d, DicomJson.PatientId),
                DicomJson.Text(d, DicomJson.PatientName), DicomJson.Text(d, DicomJson.StudyDate), DicomJson.Text(d, DicomJson.StudyDescription),
                DicomJson.Text(d, DicomJson.ModalitiesInStudy), DicomJson.Integer(d, DicomJson.NumberOfStudyRelatedSeries),
                DicomJson.Integer(d, DicomJson.NumberOfStudyRelatedInstances)))
            .ToList();
    }

    /// <summary>
    /// The series of study <paramref name="studyUid"/> (QIDO-RS "studies/{study}/series"), in
    /// series-number order; none when the server knows no such study (Orthanc answers an empty
    /// array; a server that answers 404 instead gives a <see cref="DicomWebException"/> with status
    /// 404, which a wrong service root also gives, so the two are not told apart as "no study").
    /// </summary>
    public IReadOnlyList<DicomWebSeries> SearchSeries(string studyUid)
    {
        CheckUid(studyUid, "study UID");
        return Search($"studies/{studyUid}/series?includefield=0008103E&includefield=00201209")
            .Select(d => new DicomWebSeries(DicomJson.Text(d, DicomJson.SeriesInstanceUid) ?? "", DicomJson.Text(d, DicomJson.Modality),
                DicomJson.Text(d, DicomJson.SeriesDescription), DicomJson.Integer(d, DicomJson.SeriesNumber), DicomJson.Integer(d, DicomJson.NumberOfSeriesRelatedInstances)))
            .Where(s => s.SeriesInstanceUid.Length > 0)
            .OrderBy(s => s.SeriesNumber ?? int.MaxValue).ThenBy(s => s.SeriesInstanceUid, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// The series to segment in study <paramref name="studyUid"/>: the one with
    /// <paramref name="seriesUid"/>, or else the study's only series that may hold images
    /// (<see cref="DicomWebSeries.MayHoldImages"/>). An unknown study or series is a
    /// <see cref="DicomWebException"/> with status 404; a study with several image series, where the
    /// caller must choose, an <see cref="ArgumentException"/>; one with none an
    /// <see cref="InvalidDataException"/>. Each message lists the study's series (UID, modality,
    /// number, description, instances).
    /// </summary>
    public DicomWebSeries ChooseSeries(string studyUid, string? seriesUid = null)
    {
        if (seriesUid is not null) CheckUid(seriesUid, "series UID");
        var all = SearchSeries(studyUid);
        var url = new Uri(BaseUri, $"studies/{studyUid}/series");
        if (all.Count == 0) throw new DicomWebException($"{BaseUri}: no study with Study Instance UID {studyUid} (QIDO-RS {url} found no series)", url, 404);
        string listing = "\n  " + string.Join("\n  ", all);
        if (seriesUid is not null)
            return all.FirstOrDefault(s => s.SeriesInstanceUid == seriesUid)
                ?? throw new DicomWebException($"{BaseUri}: study {studyUid} has no series {seriesUid}; its series are:{listing}", url, 404);
        var images = all.Where(s => s.MayHoldImages).ToList();
        return images.Count switch
        {
            1 => images[0],
            0 => throw new InvalidDataException($"{BaseUri}: study {studyUid} has no image series (only {string.Join(", ", all.Select(s => s.Modality ?? "?").Distinct())}):{listing}"),
            _ => throw new ArgumentException($"{BaseUri}: study {studyUid} has {images.Count} image series; choose one by its Series Instance UID:{listing}"),
        };
    }

    IEnumerable<JsonElement> Search(string relative)
    {
        var url = new Uri(BaseUri, relative);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd(DicomJsonMediaType);
        request.Headers.Accept.ParseAdd("application/json;q=0.9");
        using var timeout = new CancellationTokenSource(Timeout);
        using var response = Send(request, HttpCompletionOption.ResponseHeadersRead, timeout);
        if (response.StatusCode == HttpStatusCode.NoContent) return [];
        string text = ReadText(response, url, timeout, MaxTextChars);
        ThrowUnlessSuccess(response, url, text);
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(text.Length == 0 ? "[]" : text);
            root = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new DicomWebException($"{url} answered with a body that is not JSON (is the URL a DICOMweb service root?): {Preview(text)}", url, (int)response.StatusCode);
        }
        if (root.ValueKind != JsonValueKind.Array)
            throw new DicomWebException($"{url} answered JSON that is not an array of DICOM JSON datasets (PS3.18 §F.2): {Preview(text)}", url, (int)response.StatusCode);
        return root.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object).ToList();
    }

    // ---- WADO-RS --------------------------------------------------------------------------------

    /// <summary>
    /// <see cref="ChooseSeries"/>, then <see cref="RetrieveSeries"/> of the chosen series into
    /// <paramref name="folder"/>.
    /// </summary>
    public DicomWebRetrieval Retrieve(string studyUid, string? seriesUid, string folder) =>
        RetrieveSeries(studyUid, ChooseSeries(studyUid, seriesUid), folder);

    /// <summary>
    /// Retrieves every instance of <paramref name="series"/> (WADO-RS "studies/{study}/series/{series}",
    /// PS3.18 §10.4.1.1.2) as it is stored, writing each as a Part 10 file 00001.dcm, 00002.dcm …
    /// into <paramref name="folder"/> (created when missing) as the answer streams in. On failure
    /// the files written are deleted.
    /// </summary>
    public DicomWebRetrieval RetrieveSeries(string studyUid, DicomWebSeries series, string folder)
    {
        CheckUid(studyUid, "study UID");
        CheckUid(series.SeriesInstanceUid, "series UID");
        var url = new Uri(BaseUri, $"studies/{studyUid}/series/{series.SeriesInstanceUid}");
        Directory.CreateDirectory(folder);
        var files = new List<string>();
        long total = 0;
        using var timeout = new CancellationTokenSource(RetrieveTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            // PS3.18 §8.7.3.5.2: transfer-syntax=* asks for the instances as stored, no transcoding.
            request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse($"multipart/related; type=\"{DicomMediaType}\"; transfer-syntax=*"));
            using var response = Send(request, HttpCompletionOption.ResponseHeadersRead, timeout);
            if (!response.IsSuccessStatusCode) ThrowUnlessSuccess(response, url, ReadText(response, url, timeout, MaxTextChars));
            string boundary = Boundary(response, url);
            // A timeout must also stop a body that stalls; disposing the response ends a blocked read.
            using var stall = timeout.Token.Register(response.Dispose);
            using var body = response.Content.ReadAsStream(timeout.Token);
            var reader = new MultipartReader(body, boundary, url);
            while (reader.NextPart() is { } headers)
            {
                if (headers.TryGetValue("content-type", out var type) && !type.StartsWith(DicomMediaType, StringComparison.OrdinalIgnoreCase))
                    throw new DicomWebException($"{url}: part {reader.PartCount} is {type}, not {DicomMediaType}", url);
                if (reader.PartCount > MaxInstances)
                    throw new DicomWebException($"{url}: the series has more than {MaxInstances} instances (the limit)", url);
                string file = Path.Combine(folder, reader.PartCount.ToString("00000", CultureInfo.InvariantCulture) + ".dcm");
                files.Add(file);
                long limit = Math.Min(MaxInstanceBytes, MaxSeriesBytes - total);
                long size;
                using (var sink = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                    size = reader.CopyPart(sink, limit, limit == MaxInstanceBytes ? "the instance size limit" : "what is left of the series size limit");
                total += size;
                if (!IsPart10(file))
                    throw new DicomWebException($"{url}: part {reader.PartCount} ({size} bytes) is not a DICOM Part 10 file (no \"DICM\" after the 128-byte preamble)", url);
            }
            if (files.Count == 0) throw new DicomWebException($"{url} answered no instances for series {series.SeriesInstanceUid}", url);
            return new DicomWebRetrieval(series, studyUid, folder, files, total);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or HttpRequestException or OperationCanceledException && e is not DicomWebException)
        {
            DeleteAll(files);
            if (timeout.IsCancellationRequested) throw new DicomWebException($"{url} did not send the series within {RetrieveTimeout.TotalSeconds:0.#} s", url, null, e);
            throw new DicomWebException($"{url}: the answer broke off: {e.Message}", url, null, e);
        }
        catch
        {
            DeleteAll(files);
            throw;
        }
    }

    /// <summary>The boundary of a multipart/related answer, checked to be one of DICOM instances.</summary>
    static string Boundary(HttpResponseMessage response, Uri url)
    {
        var type = response.Content.Headers.ContentType;
        if (type?.MediaType is not { } media || !media.Equals("multipart/related", StringComparison.OrdinalIgnoreCase))
            throw new DicomWebException($"{url} answered {type?.ToString() ?? "no Content-Type"}, not multipart/related DICOM instances", url, (int)response.StatusCode);
        string? Parameter(string name) => type.Parameters.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))?.Value?.Trim('"');
        if (Parameter("type") is { } partType && !partType.Equals(DicomMediaType, StringComparison.OrdinalIgnoreCase))
            throw new DicomWebException($"{url} answered multipart/related of type {partType}, not {DicomMediaType}", url, (int)response.StatusCode);
        return Parameter("boundary") is { Length: > 0 } boundary ? boundary
            : throw new DicomWebException($"{url}: malformed multipart answer: its Content-Type ({type}) has no boundary parameter", url, (int)response.StatusCode);
    }

    // ---- STOW-RS --------------------------------------------------------------------------------

    /// <summary>
    /// Stores Part 10 <paramref name="files"/> in one STOW-RS request (POST "studies", PS3.18
    /// §10.5), and checks the server's answer (§10.5.3, Table 10.5.3-1): every instance sent must be
    /// in its Referenced SOP Sequence; one in its Failed SOP Sequence (with its Failure Reason),
    /// or one missing, is a <see cref="DicomWebException"/> naming the file.
    /// A file that is not DICOM is an <see cref="InvalidDataException"/> before anything is sent.
    /// </summary>
    public DicomWebStoreResult Store(IReadOnlyList<string> files)
    {
        if (files.Count == 0) throw new ArgumentException("nothing to store: no DICOM files given");
        var sopUids = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in files)
        {
            DicomDataset header;
            try
            {
                header = DicomFile.Read(file, readPixels: false);
            }
            catch (DicomFormatException e)
            {
                throw new InvalidDataException(e.Message, e);
            }
            if (!IsPart10(file)) throw new InvalidDataException($"{file}: is not a DICOM Part 10 file (no \"DICM\" after the 128-byte preamble); STOW-RS stores Part 10 files");
            string uid = header.SopInstanceUid ?? throw new InvalidDataException($"{file}: has no SOP Instance UID");
            if (!sopUids.TryAdd(uid, file)) throw new ArgumentException($"{file} and {sopUids[uid]} are the same instance (SOP Instance UID {uid})");
        }

        var url = new Uri(BaseUri, "studies");
        string boundary = "segsam-" + Guid.NewGuid().ToString("N");
        var streams = new List<Stream>();
        try
        {
            var content = new MultipartContent("related", boundary);
            content.Headers.ContentType!.Parameters.Add(new NameValueHeaderValue("type", $"\"{DicomMediaType}\""));
            foreach (string file in files)
            {
                var stream = File.OpenRead(file);
                streams.Add(stream);
                var part = new StreamContent(stream);
                part.Headers.ContentType = new MediaTypeHeaderValue(DicomMediaType);
                content.Add(part);
            }
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
            request.Headers.Accept.ParseAdd(DicomJsonMediaType);
            request.Headers.Accept.ParseAdd("application/json;q=0.9");
            using var timeout = new CancellationTokenSource(Timeout);
            using var response = Send(request, HttpCompletionOption.ResponseHeadersRead, timeout);
            string text = ReadText(response, url, timeout, MaxTextChars);
            // 409 Conflict: some or all instances failed; its body says which (Table 10.5.3-1).
            if (response.StatusCode != HttpStatusCode.Conflict) ThrowUnlessSuccess(response, url, text);
            return StoreAnswer(url, (int)response.StatusCode, text, sopUids);
        }
        finally
        {
            foreach (var s in streams) s.Dispose();
        }
    }

    static DicomWebStoreResult StoreAnswer(Uri url, int status, string text, Dictionary<string, string> sent)
    {
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(text);
            root = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new DicomWebException($"{url} answered HTTP {status} with a body that is not DICOM JSON, so what it stored is unknown: {Preview(text)}", url, status);
        }
        if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() == 1) root = root[0];
        var failures = DicomJson.Items(root, DicomJson.FailedSopSequence).Select(item =>
        {
            string uid = DicomJson.Text(item, DicomJson.ReferencedSopInstanceUid) ?? "?";
            int? reason = DicomJson.Integer(item, DicomJson.FailureReason);
            string file = sent.TryGetValue(uid, out var f) ? $"{f} " : "";
            return $"{file}(SOP Instance UID {uid}): failure reason {(reason is { } r ? $"0x{r:X4} {FailureReasonText(r)}" : "not given")}";
        }).ToList();
        var stored = DicomJson.Items(root, DicomJson.ReferencedSopSequence)
            .Select(item => DicomJson.Text(item, DicomJson.ReferencedSopInstanceUid)).OfType<string>().ToList();
        if (failures.Count > 0)
            throw new DicomWebException($"{url} (HTTP {status}) refused {failures.Count} of {sent.Count} instance(s):\n  {string.Join("\n  ", failures)}", url, status);
        var missing = sent.Keys.Except(stored, StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
            throw new DicomWebException($"{url} (HTTP {status}) did not confirm storing {missing.Count} of {sent.Count} instance(s): " +
                string.Join(", ", missing.Select(m => $"{sent[m]} (SOP Instance UID {m})")), url, status);
        return new DicomWebStoreResult(url, stored);
    }

    /// <summary>The meaning of a STOW-RS Failure Reason (PS3.18 Table 10.5.3-2 and PS3.4 Annex B.2 status codes).</summary>
    static string FailureReasonText(int reason) => reason switch
    {
        0xA700 => "(out of resources)",
        0xA900 => "(data set does not match SOP class)",
        0xC000 => "(cannot understand)",
        0xC122 => "(referenced transfer syntax not supported)",
        0x0110 => "(processing failure)",
        0x0122 => "(referenced SOP class not supported)",
        _ => "",
    };

    /// <summary>The Part 10 files among <paramref name="paths"/>: 128-byte preamble, then "DICM" (PS3.10 §7.1).</summary>
    public static IReadOnlyList<string> Part10Files(IEnumerable<string> paths) => paths.Where(IsPart10).ToList();

    static bool IsPart10(string path)
    {
        if (!File.Exists(path)) return false;
        using var stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[132];
        return stream.ReadAtLeast(head, 132, throwOnEndOfStream: false) == 132 && head[128..].SequenceEqual("DICM"u8);
    }

    // ---- HTTP -----------------------------------------------------------------------------------

    HttpResponseMessage Send(HttpRequestMessage request, HttpCompletionOption completion, CancellationTokenSource timeout)
    {
        Credentials.Apply(request);
        var url = request.RequestUri!;
        try
        {
            return Http.Send(request, completion, timeout.Token);
        }
        catch (HttpRequestException e)
        {
            throw new DicomWebException($"cannot reach {url}: {e.Message}", url, null, e);
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested)
        {
            throw new DicomWebException($"{url} did not answer within {(request.Method == HttpMethod.Get && completion == HttpCompletionOption.ResponseHeadersRead ? RetrieveTimeout : Timeout).TotalSeconds:0.#} s", url, null, e);
        }
    }

    static string ReadText(HttpResponseMessage response, Uri url, CancellationTokenSource timeout, int maxChars)
    {
        string TooLong() => $"{url}: the answer is longer than {maxChars} characters, the limit for a JSON or text answer";
        if (response.Content.Headers.ContentLength > 4L * maxChars) // UTF-8 takes at most 4 bytes a character
            throw new DicomWebException(TooLong(), url, (int)response.StatusCode);
        try
        {
            // Read here, not buffered by HttpClient (up to 2 GB), so that the limit holds; a timeout
            // also ends a body that stalls, as disposing the response ends a blocked read.
            using var stall = timeout.Token.Register(response.Dispose);
            using var reader = new StreamReader(response.Content.ReadAsStream(timeout.Token), Encoding.UTF8);
            var text = new StringBuilder();
            var chunk = new char[1 << 16];
            int n;
            while ((n = reader.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (text.Length + n > maxChars) throw new DicomWebException(TooLong(), url, (int)response.StatusCode);
                text.Append(chunk, 0, n);
            }
            return text.ToString();
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException or ObjectDisposedException)
        {
            if (timeout.IsCancellationRequested) throw new DicomWebException($"{url} did not send its answer in time", url, null, e);
            throw new DicomWebException($"{url}: the answer broke off: {e.Message}", url, (int)response.StatusCode, e);
        }
    }

    void ThrowUnlessSuccess(HttpResponseMessage response, Uri url, string text)
    {
        if (response.IsSuccessStatusCode) return;
        int status = (int)response.StatusCode;
        string hint = status switch
        {
            401 => Credentials == DicomWebCredentials.None
                ? $" (the server wants credentials: set {DicomWebCredentials.TokenVariable}, or {DicomWebCredentials.UserVariable} and {DicomWebCredentials.PasswordVariable})"
                : $" (the server refused the {Credentials.Description} credentials)",
            403 => $" (credentials: {Credentials.Description})",
            404 => " (no such study or series, or the URL is not the DICOMweb service root)",
            _ => "",
        };
        throw new DicomWebException($"{url} answered HTTP {status} {response.ReasonPhrase}{hint}{(text.Length > 0 ? ": " + Preview(text) : "")}", url, status);
    }

    static void DeleteAll(IEnumerable<string> files)
    {
        foreach (string file in files)
            try { File.Delete(file); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    static string Preview(string text)
    {
        string flat = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= 300 ? flat : flat[..300] + "…";
    }
}
