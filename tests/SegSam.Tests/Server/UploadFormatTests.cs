using System.IO.Compression;
using System.Net;
using SegSam.Imaging;
using SegSam.Tests.Support;

namespace SegSam.Tests.Server;

/// <summary>A zipped DICOM series on POST /volumes (zip slip impossible, bombs and crowds refused), ?modality= and ?window= when opening, ?window= on slice PNGs.</summary>
public sealed class UploadFormatTests
{
    static string DicomSlice(TempDir dir) =>
        Python.Run("""
            import sys, shutil
            from pydicom.data import get_testdata_file
            shutil.copy(get_testdata_file('CT_small.dcm'), sys.argv[1]); print(sys.argv[1])
            """, [dir.File("ct.dcm")]).StdOut.Trim();

    static string Zip(TempDir dir, string name, params (string Entry, byte[] Bytes)[] entries)
    {
        string path = dir.File(name);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (entry, bytes) in entries)
        {
            using var stream = zip.CreateEntry(entry, CompressionLevel.Optimal).Open();
            stream.Write(bytes);
        }
        return path;
    }

    [Fact]
    public async Task AZippedDicomSeriesOpensWhateverItsEntriesAreNamed()
    {
        await using var server = ApiServer.Start();
        var dicom = File.ReadAllBytes(DicomSlice(server.Dir));
        string escape = $"../../../../../../../../{Path.GetFileName(server.Dir.Path)}-escaped.dcm";
        string zip = Zip(server.Dir, "series.zip", (escape, dicom), ("/tmp/absolute-escaped.txt", "notes"u8.ToArray()), ("folder/", []));
        var response = await server.Upload(zip, "series.zip");
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        var volume = await ApiServer.Json(response);
        Assert.Equal([128, 128, 1], volume.GetProperty("dims").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal("ct", volume.GetProperty("modality").GetString());
        // No entry name reached the disk: nothing was written where "../" or "/tmp/" would lead.
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), $"{Path.GetFileName(server.Dir.Path)}-escaped.dcm")));
        Assert.False(File.Exists("/tmp/absolute-escaped.txt"));
        Assert.False(File.Exists($"/{Path.GetFileName(server.Dir.Path)}-escaped.dcm"));
    }

    [Fact]
    public async Task ZipBombsCrowdedZipsAndEmptySeriesAre422()
    {
        await using var server = ApiServer.Start(o => o with { MaxUnzippedBytes = 1 << 20, MaxZipEntries = 3 });
        string bomb = Zip(server.Dir, "bomb.zip", ("a", new byte[3 << 20]));
        Assert.True(new FileInfo(bomb).Length < 20_000, "the test zip should be small and expand large");
        Assert.Contains("unpacks to more than 1048576 bytes", await ApiServer.Problem(await server.Upload(bomb, "bomb.zip"), 422));
        string crowded = Zip(server.Dir, "crowded.zip", [.. Enumerable.Range(0, 5).Select(i => ($"f{i}", new byte[] { 1 }))]);
        Assert.Contains("5 entries; at most 3", await ApiServer.Problem(await server.Upload(crowded, "crowded.zip"), 422));
        string notDicom = Zip(server.Dir, "text.zip", ("readme.txt", "hello"u8.ToArray()));
        string detail = await ApiServer.Problem(await server.Upload(notDicom, "text.zip"), 422);
        Assert.StartsWith("text.zip", detail);
        Assert.DoesNotContain("segsam-uploads", detail);
        File.WriteAllBytes(server.Dir.File("junk.zip"), [1, 2, 3, 4]);
        Assert.StartsWith("junk.zip", await ApiServer.Problem(await server.Upload(server.Dir.File("junk.zip"), "junk.zip"), 422));
    }

    [Fact]
    public async Task ASliceThroughAWindowShowsTheValuesAsRead()
    {
        await using var server = ApiServer.Start();
        string id = await server.OpenVolume();
        // The test volume holds 30 and 200: the window [0, 200] (level 100, width 200) maps them to 38.25 and 255.
        var windowed = PngDecoder.Decode(await server.Client.GetByteArrayAsync($"/api/v1/volumes/{id}/slices/axial/6.png?window=100,200"), "slice");
        Assert.Equal((20, 24), (windowed.Height, windowed.Width));
        Assert.Equal(new float[] { 38, 255 }, windowed.Data.Distinct().Order().ToArray());
        var named = await server.Client.GetAsync($"/api/v1/volumes/{id}/slices/axial/6.png?window=brain");
        Assert.Equal(HttpStatusCode.OK, named.StatusCode);
        Assert.Contains("neither a window name", await ApiServer.Problem(await server.Client.GetAsync($"/api/v1/volumes/{id}/slices/axial/6.png?window=lungs"), 400));
        Assert.Contains("width must be positive", await ApiServer.Problem(await server.Client.GetAsync($"/api/v1/volumes/{id}/slices/axial/6.png?window=40,0"), 400));
    }

    [Fact]
    public async Task ModalityAndWindowChooseHowThePromptedModelSeesTheVolume()
    {
        await using var server = ApiServer.Start();
        var response = await server.Upload(server.Volume, "scan.nii.gz");
        Assert.Equal("mr", (await ApiServer.Json(response)).GetProperty("modality").GetString());
        var ct = await server.Client.PostAsync($"/api/v1/volumes?name=scan.nii.gz&modality=CT&window=0,400", new ByteArrayContent(File.ReadAllBytes(server.Volume)));
        var volume = await ApiServer.Json(ct);
        Assert.Equal("ct", volume.GetProperty("modality").GetString());
        // 30 and 200 through [−200, 200]: 146.6 and 255, as the model sees them.
        var slice = PngDecoder.Decode(await server.Client.GetByteArrayAsync($"/api/v1/volumes/{volume.GetProperty("id").GetString()}/slices/axial/6.png"), "slice");
        Assert.Equal(new float[] { 147, 255 }, slice.Data.Distinct().Order().ToArray());
        var bytes = new ByteArrayContent(File.ReadAllBytes(server.Volume));
        Assert.Contains("modality must be CT or MR", await ApiServer.Problem(await server.Client.PostAsync("/api/v1/volumes?name=scan.nii.gz&modality=XR", bytes), 400));
        Assert.Contains("does not apply to MR", await ApiServer.Problem(await server.Client.PostAsync("/api/v1/volumes?name=scan.nii.gz&modality=MR&window=brain", bytes), 400));
        Assert.Contains("neither a window name", await ApiServer.Problem(await server.Client.PostAsync("/api/v1/volumes/builtin?window=wide", null), 400));
    }
}
