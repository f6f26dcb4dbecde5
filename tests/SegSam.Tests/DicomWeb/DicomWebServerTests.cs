using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SegSam.Tests.Server;

namespace SegSam.Tests.DicomWeb;

/// <summary>POST /api/v1/volumes/dicomweb against the shared Orthanc: a volume opened from the PACS, and the allow-list.</summary>
[Collection(PacsCollection.Name)]
public sealed class DicomWebServerTests(PacsFixture pacs)
{
    static async Task<(HttpStatusCode Status, JsonElement Body)> Post(ApiServer server, object body)
    {
        using var response = await server.Client.PostAsJsonAsync("/api/v1/volumes/dicomweb", body);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, doc.RootElement.Clone());
    }

    [Fact]
    public async Task A_series_opens_as_a_volume_and_takes_prompts()
    {
        await using var server = ApiServer.Start(o => o with { DicomWebServers = [pacs.Orthanc.DicomWebUrl] });
        var (status, body) = await Post(server, new { study = pacs.CtStudy });
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        Assert.Equal($"{pacs.CtStudy}/{pacs.CtSeries}", body.GetProperty("name").GetString());
        Assert.Equal([40, 32, 8], body.GetProperty("inputDims").EnumerateArray().Select(d => d.GetInt32()));
        string id = body.GetProperty("id").GetString()!;
        using var prompt = await server.Client.PostAsJsonAsync($"/api/v1/volumes/{id}/prompts", new { axis = "axial", index = 4, box = new[] { 14.0, 10, 30, 24 } });
        Assert.Equal(HttpStatusCode.OK, prompt.StatusCode);

        // Named explicitly (the trailing slash does not matter), with the series.
        (status, body) = await Post(server, new { url = pacs.Orthanc.DicomWebUrl + "/", study = pacs.TwoSeriesStudy, series = pacs.TwoSeries[1] });
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        Assert.Equal(3, body.GetProperty("inputDims")[2].GetInt32());
    }

    [Fact]
    public async Task Store_sends_the_labels_back_to_the_pacs_as_seg_and_rtstruct()
    {
        using var dir = new Support.TempDir();
        // A study of its own, so that the shared CT study keeps its single series.
        string study = "1.2.826.0.1.3680043.8.498.7005";
        PacsFixture.WriteCtSeries(dir.Path, study, study + ".1", "for server store", 1, 8);
        pacs.Orthanc.Upload(Directory.GetFiles(dir.Path));
        await using var server = ApiServer.Start(o => o with { DicomWebServers = [pacs.Orthanc.DicomWebUrl] });
        var (status, body) = await Post(server, new { study });
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        string id = body.GetProperty("id").GetString()!;

        // Nothing labelled yet: nothing to store (409), the volume named as the client knows it.
        using (var early = await server.Client.PostAsync($"/api/v1/volumes/{id}/store", null))
        {
            Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
            string detail = await early.Content.ReadAsStringAsync();
            Assert.Contains("no voxel is labelled", detail);
            Assert.Contains(study, detail);
            Assert.DoesNotContain("segsam-uploads", detail);
        }

        using var prompt = await server.Client.PostAsJsonAsync($"/api/v1/volumes/{id}/prompts", new { axis = "axial", index = 4, box = new[] { 14.0, 10, 30, 24 } });
        int objectId = (await prompt.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("objectId").GetInt32();
        using (var accept = await server.Client.PutAsync($"/api/v1/volumes/{id}/objects/{objectId}", null))
            Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        using var stored = await server.Client.PostAsJsonAsync($"/api/v1/volumes/{id}/store", new { formats = new[] { "dicom-seg", "rtstruct" } });
        var answer = await stored.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(stored.StatusCode == HttpStatusCode.OK, answer.ToString());
        Assert.Equal(2, answer.GetProperty("stored").GetArrayLength());
        Assert.Equal(["CT", "RTSTRUCT", "SEG"], new SegSam.Data.DicomWeb.DicomWebClient(pacs.Orthanc.DicomWebUrl).SearchSeries(study).Select(s => s.Modality).Order());

        using var bad = await server.Client.PostAsJsonAsync($"/api/v1/volumes/{id}/store", new { formats = new[] { "nifti" } });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        // An uploaded volume has no PACS to go back to.
        using var upload = await server.Client.PostAsync("/api/v1/volumes?name=volume.nii.gz", new ByteArrayContent(File.ReadAllBytes(server.Volume)));
        string uploaded = (await upload.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using var noPacs = await server.Client.PostAsync($"/api/v1/volumes/{uploaded}/store", null);
        Assert.Equal(HttpStatusCode.Conflict, noPacs.StatusCode);
        Assert.Contains("was not opened from a PACS", await noPacs.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Errors_are_problem_json_with_the_right_status()
    {
        await using var server = ApiServer.Start(o => o with { DicomWebServers = [pacs.Orthanc.DicomWebUrl, "http://127.0.0.1:9/dicom-web"] });
        async Task Expect(object request, HttpStatusCode expected, string detail)
        {
            var (status, body) = await Post(server, request);
            Assert.True(status == expected, $"{status}: {body}");
            Assert.Contains(detail, body.GetProperty("detail").GetString());
        }
        await Expect(new { url = "http://169.254.169.254/latest", study = pacs.CtStudy }, HttpStatusCode.Forbidden, "is not a PACS this server was started with");
        await Expect(new { study = pacs.CtStudy }, HttpStatusCode.BadRequest, "give url: one of");
        await Expect(new { url = pacs.Orthanc.DicomWebUrl }, HttpStatusCode.BadRequest, "give the study");
        await Expect(new { url = pacs.Orthanc.DicomWebUrl, study = "1.2.3.999" }, HttpStatusCode.NotFound, "no study with Study Instance UID 1.2.3.999");
        await Expect(new { url = pacs.Orthanc.DicomWebUrl, study = pacs.TwoSeriesStudy }, HttpStatusCode.BadRequest, pacs.TwoSeries[1]);
        await Expect(new { url = pacs.Orthanc.DicomWebUrl, study = "../../system" }, HttpStatusCode.BadRequest, "is not a DICOM UID");
        await Expect(new { url = "http://127.0.0.1:9/dicom-web", study = pacs.CtStudy }, HttpStatusCode.BadGateway, "cannot reach http://127.0.0.1:9/dicom-web/");

        await using var closed = ApiServer.Start();
        var (s, b) = await Post(closed, new { study = pacs.CtStudy });
        Assert.Equal(HttpStatusCode.Forbidden, s);
        Assert.Contains("start it with --dicomweb URL", b.GetProperty("detail").GetString());
    }
}
