using System.Text;
using SegSam.Data.DicomWeb;
using SegSam.Imaging.Dicom;
using SegSam.Tests.Support;

namespace SegSam.Tests.DicomWeb;

/// <summary>The DICOMweb client against a real Orthanc with its DICOMweb plugin (<see cref="PacsFixture"/>).</summary>
[Collection(PacsCollection.Name)]
public sealed class DicomWebClientTests(PacsFixture pacs)
{
    DicomWebClient Client => new(pacs.Orthanc.DicomWebUrl);

    [Fact]
    public void Qido_finds_the_study_and_its_series()
    {
        var study = Assert.Single(Client.SearchStudies(pacs.CtStudy));
        Assert.Equal(pacs.CtStudy, study.StudyInstanceUid);
        Assert.Equal("PACS-1", study.PatientId);
        Assert.Equal("Test^Pacs", study.PatientName);
        Assert.Contains(Client.SearchStudies(), s => s.StudyInstanceUid == pacs.TwoSeriesStudy);

        var series = Assert.Single(Client.SearchSeries(pacs.CtStudy));
        Assert.Equal(new DicomWebSeries(pacs.CtSeries, "CT", "abdomen ct", 1, 8), series);
        Assert.Equal(pacs.TwoSeries, Client.SearchSeries(pacs.TwoSeriesStudy).Select(s => s.SeriesInstanceUid));
        Assert.Empty(Client.SearchSeries("1.2.3.999"));
    }

    [Fact]
    public void Wado_retrieves_the_series_as_stored_and_it_reads_as_the_same_volume()
    {
        using var dir = new TempDir();
        var retrieval = Client.Retrieve(pacs.CtStudy, null, dir.Path);

        Assert.Equal(pacs.CtSeries, retrieval.Series.SeriesInstanceUid);
        Assert.Equal(8, retrieval.Files.Count);
        Assert.Equal(retrieval.Files.Sum(f => new FileInfo(f).Length), retrieval.Bytes);
        // transfer-syntax=*: the compressed instances come back compressed, as Orthanc stored them.
        var syntaxes = retrieval.Files.Select(f => DicomFile.Read(f, readPixels: false).TransferSyntax.Uid).ToHashSet();
        Assert.Superset(PacsFixture.StoredSyntaxes.ToHashSet(), syntaxes);
        Assert.Contains("1.2.840.10008.1.2.1", syntaxes);

        var expected = DicomSeries.Load(pacs.PlainSeries).Volume;
        var actual = DicomSeries.Load(dir.Path).Volume;
        Assert.Equal(expected.Dims, actual.Dims);
        Assert.Equal(expected.Data, actual.Data);
        Assert.Equal(expected.Affine.Cast<double>(), actual.Affine.Cast<double>());
    }

    [Fact]
    public void A_study_with_two_image_series_lists_them_and_each_can_be_chosen()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<ArgumentException>(() => Client.Retrieve(pacs.TwoSeriesStudy, null, dir.Path));
        Assert.Contains("has 2 image series; choose one", e.Message);
        foreach (string expected in (string[])[pacs.TwoSeries[0], pacs.TwoSeries[1], "\"arterial\"", "\"venous\"", "CT", "3 instance(s)"])
            Assert.Contains(expected, e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));

        var second = Client.Retrieve(pacs.TwoSeriesStudy, pacs.TwoSeries[1], dir.Path);
        Assert.Equal(3, second.Files.Count);
        Assert.Equal(pacs.TwoSeries[1], DicomSeries.Load(dir.Path).Summary.SeriesInstanceUid);
    }

    [Fact]
    public void Unknown_study_or_series_and_bad_uids_are_clean_errors()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<DicomWebException>(() => Client.Retrieve("1.2.3.999", null, dir.Path));
        Assert.Contains("no study with Study Instance UID 1.2.3.999", e.Message);
        Assert.Equal(404, e.StatusCode);
        Assert.Contains(pacs.Orthanc.DicomWebUrl, e.Message);

        e = Assert.Throws<DicomWebException>(() => Client.Retrieve(pacs.CtStudy, "1.2.3.998", dir.Path));
        Assert.Contains($"study {pacs.CtStudy} has no series 1.2.3.998; its series are:", e.Message);
        Assert.Contains(pacs.CtSeries, e.Message);

        Assert.Contains("not a DICOM UID", Assert.Throws<ArgumentException>(() => Client.Retrieve("../../tools", null, dir.Path)).Message);
        Assert.Contains("not an http(s) URL", Assert.Throws<ArgumentException>(() => new DicomWebClient("ftp://example.org/dicom-web")).Message);
        // A URL that is Orthanc but not its DICOMweb root: the 404 names the URL and says what may be wrong.
        e = Assert.Throws<DicomWebException>(() => new DicomWebClient(pacs.Orthanc.RestUrl + "/no-dicom-web").SearchStudies());
        Assert.Equal(404, e.StatusCode);
        Assert.Contains("not the DICOMweb service root", e.Message);
        // Orthanc's REST root is not its DICOMweb root: the study is not reported missing, the URL is questioned.
        e = Assert.Throws<DicomWebException>(() => new DicomWebClient(pacs.Orthanc.RestUrl).ChooseSeries(pacs.CtStudy));
        Assert.StartsWith($"{pacs.Orthanc.RestUrl}/studies/{pacs.CtStudy}/series?includefield=0008103E&includefield=00201209 answered HTTP 404 Not Found " +
            "(no such study or series, or the URL is not the DICOMweb service root)", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void A_server_that_is_down_is_a_clean_error()
    {
        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        int port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var e = Assert.Throws<DicomWebException>(() => new DicomWebClient($"http://127.0.0.1:{port}/dicom-web").SearchSeries(pacs.CtStudy));
        Assert.StartsWith($"cannot reach http://127.0.0.1:{port}/dicom-web/studies/{pacs.CtStudy}/series", e.Message);
        Assert.Null(e.StatusCode);
    }

    [Fact]
    public void Stow_stores_a_new_instance_that_then_reads_back()
    {
        using var dir = new TempDir();
        string study = "1.2.826.0.1.3680043.8.498.7003", series = study + ".1", sop = series + ".1";
        string file = dir.File("new.dcm");
        Python.Run($$"""
            import pydicom
            ds = pydicom.dcmread(r'{{Path.Combine(pacs.PlainSeries, "IM0003.dcm")}}')
            ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID = '{{study}}', '{{series}}', '{{sop}}'
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.SeriesDescription = 'stored by segsam'; ds.SeriesNumber = 77
            ds.save_as(r'{{file}}')
            """);

        var stored = Client.Store([file]);
        Assert.Equal([sop], stored.StoredSopInstanceUids);

        Assert.Equal(new DicomWebSeries(series, "CT", "stored by segsam", 77, 1), Assert.Single(Client.SearchSeries(study)));
        var back = Client.Retrieve(study, null, dir.File("back"));
        var check = Python.Run($$"""
            import pydicom, numpy as np
            a, b = pydicom.dcmread(r'{{file}}'), pydicom.dcmread(r'{{back.Files[0]}}')
            print(a.SOPInstanceUID == b.SOPInstanceUID, a.SeriesDescription == b.SeriesDescription, np.array_equal(a.pixel_array, b.pixel_array))
            """);
        Assert.Equal("True True True", check.StdOut.Trim());
    }

    [Fact]
    public void Stow_refuses_files_that_are_not_dicom_before_sending()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("notes.txt"), "not DICOM");
        var e = Assert.Throws<InvalidDataException>(() => Client.Store([dir.File("notes.txt")]));
        Assert.StartsWith(dir.File("notes.txt"), e.Message);
    }

    [Fact]
    public void Basic_authentication_is_needed_and_works_when_orthanc_requires_it()
    {
        using var secured = new OrthancServer(new Dictionary<string, string> { ["radiology"] = "s3cret" });
        var e = Assert.Throws<DicomWebException>(() => new DicomWebClient(secured.DicomWebUrl).SearchStudies());
        Assert.Equal(401, e.StatusCode);
        Assert.Contains(DicomWebCredentials.UserVariable, e.Message);

        e = Assert.Throws<DicomWebException>(() => new DicomWebClient(secured.DicomWebUrl, DicomWebCredentials.Basic("radiology", "wrong")).SearchStudies());
        Assert.Contains("refused the basic (user radiology) credentials", e.Message);
        Assert.DoesNotContain("wrong", e.Message);

        var client = new DicomWebClient(secured.DicomWebUrl, DicomWebCredentials.Basic("radiology", "s3cret"));
        Assert.Empty(client.SearchStudies());
        using var dir = new TempDir();
        string file = dir.File("one.dcm");
        File.Copy(Path.Combine(pacs.PlainSeries, "IM0000.dcm"), file);
        Assert.Single(client.Store([file]).StoredSopInstanceUids);
        Assert.Single(client.Retrieve(pacs.CtStudy, null, dir.File("back")).Files);
    }

    // ---- Answers no real PACS sends on purpose: a canned server -------------------------------

    static readonly byte[] Instance = Part10();

    /// <summary>A minimal Part 10 file: preamble, "DICM", and a File Meta group length element.</summary>
    static byte[] Part10() => [.. new byte[128], .. "DICM"u8, 0x02, 0x00, 0x00, 0x00, (byte)'U', (byte)'L', 0x04, 0x00, 0, 0, 0, 0];

    static byte[] Multipart(string boundary, params byte[][] parts)
    {
        var body = new List<byte>();
        foreach (var part in parts)
        {
            body.AddRange(Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n"));
            body.AddRange(part);
            body.AddRange("\r\n"u8.ToArray());
        }
        body.AddRange(Encoding.ASCII.GetBytes($"--{boundary}--\r\n"));
        return [.. body];
    }

    const string SeriesJson = """[{"0020000E":{"vr":"UI","Value":["1.2.3.4"]},"00080060":{"vr":"CS","Value":["CT"]}}]""";

    /// <summary>A canned server whose series search finds series 1.2.3.4 and whose retrieval answers <paramref name="retrieval"/>.</summary>
    static CannedHttpServer Serving(byte[] retrieval) => new(head =>
        head.Contains("/series?") ? CannedHttpServer.Response(200, "application/dicom+json", Encoding.UTF8.GetBytes(SeriesJson)) : retrieval);

    [Theory]
    [InlineData("truncated", "ends inside part 2")]
    [InlineData("other boundary", "holds no multipart delimiter")]
    [InlineData("no boundary", "has no boundary parameter")]
    [InlineData("json", "not multipart/related DICOM instances")]
    [InlineData("not dicom", "part 1 (9 bytes) is not a DICOM Part 10 file")]
    [InlineData("too large", "part 2 is larger than the instance size limit (200 bytes)")]
    [InlineData("no close", "no close delimiter")]
    [InlineData("empty", "answered no instances")]
    public void A_malformed_retrieval_is_an_error_naming_the_url_and_leaves_no_files(string damage, string expected)
    {
        byte[] big = [.. Instance, .. new byte[300]];
        byte[] answer = damage switch
        {
            "truncated" => CannedHttpServer.Response(200, "multipart/related; type=\"application/dicom\"; boundary=b1", Multipart("b1", Instance, Instance)[..250]),
            "other boundary" => CannedHttpServer.Response(200, "multipart/related; type=\"application/dicom\"; boundary=b1", Multipart("b2", Instance)),
            "no boundary" => CannedHttpServer.Response(200, "multipart/related; type=\"application/dicom\"", Multipart("b1", Instance)),
            "json" => CannedHttpServer.Response(200, "application/json", "[]"u8.ToArray()),
            "not dicom" => CannedHttpServer.Response(200, "multipart/related; type=\"application/dicom\"; boundary=b1", Multipart("b1", "not DICOM"u8.ToArray())),
            "too large" => CannedHttpServer.Response(200, "multipart/related; type=\"application/dicom\"; boundary=b1", Multipart("b1", Instance, big)),
            "no close" => CannedHttpServer.Response(200, "multipart/related; type=\"application/dicom\"; boundary=b1", Multipart("b1", Instance)[..^4]),
            "empty" => CannedHttpServer.Response(200, "multipart/related; type=\"application/dicom\"; boundary=b1", "--b1--\r\n"u8.ToArray()),
            _ => throw new ArgumentException(damage),
        };
        using var server = Serving(answer);
        using var dir = new TempDir();
        var client = new DicomWebClient(server.Url) { MaxInstanceBytes = 200 };
        var e = Assert.Throws<DicomWebException>(() => client.Retrieve("1.2.3", null, dir.Path));
        Assert.Contains(expected, e.Message);
        Assert.Contains($"{server.Url}/studies/1.2.3/series/1.2.3.4", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_search_answer_over_the_text_limit_is_refused_not_held(bool declared)
    {
        // A hostile PACS declaring 1.9 GB of JSON, or sending more than the limit undeclared: refused before it sits in memory.
        string json = "[" + string.Join(",", Enumerable.Repeat(SeriesJson[1..^1], 200)) + "]";
        byte[] answer = declared
            ? CannedHttpServer.Response(200, "application/dicom+json", Encoding.UTF8.GetBytes(SeriesJson), length: 1_900_000_000)
            : [.. Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: application/dicom+json\r\nConnection: close\r\n\r\n"), .. Encoding.UTF8.GetBytes(json)];
        using var server = new CannedHttpServer(_ => answer);
        var client = new DicomWebClient(server.Url) { MaxTextChars = 1000 };
        var e = Assert.Throws<DicomWebException>(() => client.Retrieve("1.2.3", null, Path.GetTempPath()));
        Assert.Contains("longer than 1000 characters", e.Message);
        Assert.Contains(server.Url.ToString().TrimEnd('/'), e.Message);
    }

    [Fact]
    public void A_well_formed_retrieval_with_preamble_epilogue_and_quoted_boundary_is_read()
    {
        byte[] second = [.. Instance, .. "\r\n--bx: a delimiter's beginning"u8.ToArray()];
        byte[] body = [.. "preamble\r\n"u8.ToArray(), .. Multipart("b1", Instance, second), .. "epilogue"u8.ToArray()];
        using var server = Serving(CannedHttpServer.Response(200, "multipart/related; type=\"application/dicom\"; boundary=\"b1\"", body));
        using var dir = new TempDir();
        var retrieval = new DicomWebClient(server.Url).Retrieve("1.2.3", null, dir.Path);
        Assert.Equal(Instance, File.ReadAllBytes(retrieval.Files[0]));
        Assert.Equal(second, File.ReadAllBytes(retrieval.Files[1]));
    }

    [Fact]
    public void A_bearer_token_from_the_environment_is_sent_and_an_http_error_names_url_and_status()
    {
        using var server = new CannedHttpServer(_ => CannedHttpServer.Response(503, "text/plain", "PACS in maintenance"u8.ToArray()));
        var client = new DicomWebClient(server.Url, DicomWebCredentials.Bearer("tok-123"));
        var e = Assert.Throws<DicomWebException>(() => client.SearchStudies());
        Assert.Equal(503, e.StatusCode);
        Assert.Equal($"{server.Url}/studies?includefield=00081030&includefield=00080061&includefield=00201206&includefield=00201208 answered HTTP 503 Service Unavailable: PACS in maintenance", e.Message);
        Assert.Contains("Authorization: Bearer tok-123", Assert.Single(server.Requests));
    }

    [Fact]
    public void A_stow_answer_with_failed_instances_names_them()
    {
        using var dir = new TempDir();
        string file = dir.File("one.dcm");
        File.Copy(Path.Combine(pacs.PlainSeries, "IM0000.dcm"), file);
        string sop = DicomFile.Read(file, readPixels: false).SopInstanceUid!;
        string failed = $$$"""{"00081198":{"vr":"SQ","Value":[{"00081150":{"vr":"UI","Value":["1.2.840.10008.5.1.4.1.1.2"]},"00081155":{"vr":"UI","Value":["{{{sop}}}"]},"00081197":{"vr":"US","Value":[42752]}}]}}""";
        using var server = new CannedHttpServer(_ => CannedHttpServer.Response(409, "application/dicom+json", Encoding.UTF8.GetBytes(failed)));
        var e = Assert.Throws<DicomWebException>(() => new DicomWebClient(server.Url).Store([file]));
        Assert.Equal($"{server.Url}/studies (HTTP 409) refused 1 of 1 instance(s):\n  {file} (SOP Instance UID {sop}): failure reason 0xA700 (out of resources)", e.Message);
        var head = Assert.Single(server.Requests);
        Assert.StartsWith("POST /dicom-web/studies HTTP/1.1", head);
        Assert.Contains("multipart/related; boundary=", head);
        Assert.Contains("type=\"application/dicom\"", head);

        using var silent = new CannedHttpServer(_ => CannedHttpServer.Response(200, "application/dicom+json", "{}"u8.ToArray()));
        e = Assert.Throws<DicomWebException>(() => new DicomWebClient(silent.Url).Store([file]));
        Assert.Contains($"did not confirm storing 1 of 1 instance(s): {file}", e.Message);
    }

    [Fact]
    public void Credentials_come_from_the_environment_variables()
    {
        // Set and restored in process: only this collection's tests, which run one at a time, read these variables.
        string?[] saved = [.. new[] { DicomWebCredentials.TokenVariable, DicomWebCredentials.UserVariable, DicomWebCredentials.PasswordVariable }.Select(Environment.GetEnvironmentVariable)];
        void Set(string? token, string? user, string? password)
        {
            Environment.SetEnvironmentVariable(DicomWebCredentials.TokenVariable, token);
            Environment.SetEnvironmentVariable(DicomWebCredentials.UserVariable, user);
            Environment.SetEnvironmentVariable(DicomWebCredentials.PasswordVariable, password);
        }
        try
        {
            Set(null, null, null);
            Assert.Same(DicomWebCredentials.None, DicomWebCredentials.FromEnvironment());
            Set("abc", null, null);
            Assert.Equal("bearer token", DicomWebCredentials.FromEnvironment().Description);
            Set(null, "u", "p");
            Assert.Equal("basic (user u)", DicomWebCredentials.FromEnvironment().Description);
            Set(null, "u", null);
            Assert.Contains("needs both", Assert.Throws<ArgumentException>(DicomWebCredentials.FromEnvironment).Message);
            Set("abc", "u", "p");
            Assert.Contains("not both", Assert.Throws<ArgumentException>(DicomWebCredentials.FromEnvironment).Message);
        }
        finally
        {
            Set(saved[0], saved[1], saved[2]);
        }
    }
}
