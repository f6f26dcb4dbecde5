using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using SegSam.Imaging.Dicom;
using SegSam.Tests.Imaging;
using SegSam.Tests.Support;

namespace SegSam.Tests.Server;

/// <summary>
/// GET /volumes/{id}/labels.seg.dcm and labels.rtstruct.dcm: 409 for a NIfTI volume and for a
/// DICOM volume with nothing accepted; after an accepted prompt on an uploaded (zipped, oblique)
/// CT series, both pass dciodvfy and map back onto the series exactly as labels.nii.gz says.
/// </summary>
public sealed class DicomDownloadTests
{
    [Fact]
    public async Task AcceptedObjectsDownloadAsSegAndRtStructOfTheUploadedSeries()
    {
        await using var server = ApiServer.Start();
        string nifti = await server.OpenVolume();
        string detail = await ApiServer.Problem(await server.Client.GetAsync($"/api/v1/volumes/{nifti}/labels.seg.dcm"), 409);
        Assert.Contains("scan.nii.gz: is not a DICOM series", detail);
        Assert.DoesNotContain(server.Dir.Path, detail);

        string series = server.Dir.File("series");
        Directory.CreateDirectory(series);
        DicomOutputTests.WriteCtSeries(series, oblique: true);
        string zip = server.Dir.File("ct.zip");
        ZipFile.CreateFromDirectory(series, zip);
        var opened = await server.Upload(zip, "ct.zip");
        Assert.True(opened.StatusCode == HttpStatusCode.Created, await opened.Content.ReadAsStringAsync());
        string id = (await ApiServer.Json(opened)).GetProperty("id").GetString()!;
        Assert.Contains("no voxel is labelled", await ApiServer.Problem(await server.Client.GetAsync($"/api/v1/volumes/{id}/labels.rtstruct.dcm"), 409));

        var answer = await ApiServer.Json(await server.Client.PostAsJsonAsync($"/api/v1/volumes/{id}/prompts",
            new { axis = "axial", index = 4, box = new[] { 4, 5, 15, 18 } }));
        string category = answer.GetProperty("category").GetString()!;
        var accepted = await ApiServer.Json(await server.Client.PutAsync($"/api/v1/volumes/{id}/objects/{answer.GetProperty("objectId").GetInt32()}", null));
        int label = accepted.GetProperty("label").GetInt32();

        async Task<string> Download(string name, string mediaType)
        {
            var response = await server.Client.GetAsync($"/api/v1/volumes/{id}/{name}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(mediaType, response.Content.Headers.ContentType!.MediaType);
            string path = server.Dir.File(name);
            File.WriteAllBytes(path, await response.Content.ReadAsByteArrayAsync());
            return path;
        }
        string seg = await Download("labels.seg.dcm", "application/dicom"), rt = await Download("labels.rtstruct.dcm", "application/dicom");
        string labels = await Download("labels.nii.gz", "application/gzip");
        DicomOutputTests.AssertDciodvfyFindsNoErrors(seg);
        DicomOutputTests.AssertDciodvfyFindsNoErrors(rt);

        // The expected labels: labels.nii.gz (i = column, j = row, k = slice) as float32 in (k, j, i) order.
        string expected = server.Dir.File("labels.f32");
        var voxels = Python.Run($$"""
            import nibabel as nib, numpy as np
            d = np.asarray(nib.load(r'{{labels}}').dataobj)
            d.transpose(2, 1, 0).astype('<f4').tofile(r'{{expected}}'); print(int((d != 0).sum()))
            """);
        Assert.True(int.Parse(voxels.StdOut.Trim()) > 0, "the tiny model's mask is empty: the DICOM objects would prove nothing");
        var r = DicomOutputTests.IndependentCheck(series, seg, rt, expected, [new LabelCategory(label, category)]);
        Assert.True(r.GetProperty("seg_exact").GetBoolean(), r.ToString());
        Assert.True(r.GetProperty("rt_dice").GetProperty(category).GetDouble() >= 0.97, r.ToString());
        Assert.Contains("SegSam SEG-SAM", r.GetProperty("seg_algorithm").GetString());

        string openApi = await server.Client.GetStringAsync("/openapi/v1.json");
        Assert.Contains("/api/v1/volumes/{id}/labels.seg.dcm", openApi);
        Assert.Contains("/api/v1/volumes/{id}/labels.rtstruct.dcm", openApi);
    }
}
