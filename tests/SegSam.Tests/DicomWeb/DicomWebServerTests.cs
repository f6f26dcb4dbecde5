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
