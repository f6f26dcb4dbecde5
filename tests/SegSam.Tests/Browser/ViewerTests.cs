using System.Diagnostics;
using System.Text.Json;
using SegSam.Imaging;
using SegSam.Tests.Support;
using Xunit.Abstractions;

namespace SegSam.Tests.Browser;

/// <summary>
/// The viewer at / in headless Chromium against `segsam serve` with the bundled model, on the
/// built-in MRI (Colin27): a box dragged around the left thalamus of the AAL atlas (the atlas the
/// model was trained on, on the same grid) must come back labelled, inside the box, refinable
/// with a click, accepted into the label volume and downloaded as the same voxels.
/// Set SEGSAM_VIEWER_PNG to a path (relative to the repository) for a screenshot of all views there,
/// e.g. SEGSAM_VIEWER_PNG=docs/viewer.png (README's picture).
/// </summary>
public sealed class ViewerTests(ITestOutputHelper output)
{
    const int Axial = 0; // NiiVue's slice type for the axial tile
    const string Expected = "Thalamus_L";

    /// <summary>An AAL region on its axial slice with the most voxels: the slice, its voxel bounds, a voxel near its middle, its voxels.</summary>
    sealed record Structure(int Z, int X0, int Y0, int X1, int Y1, int[] Inside, HashSet<(int, int)> Voxels);

    [Fact]
    public async Task ABoxOnTheBuiltinMriIsLabelledRefinedAcceptedAndDownloaded()
    {
        var watch = Stopwatch.StartNew();
        await using var b = await ViewerBrowser.Start();
        Log(watch, "server and browser started");
        Assert.True((await b.Js("() => segsam.webgl2()")).GetBoolean(),
            "headless Chromium gives no WebGL2, which NiiVue needs (software WebGL: --use-angle=swiftshader --enable-unsafe-swiftshader)");
        Assert.Empty(b.Errors);

        var dims = await OpenBuiltin(b);
        Log(watch, "built-in MRI shown");
        var s = Thalamus(dims);

        // Drag a box around the structure on its axial slice.
        var (answer, box) = await DragBox(b, s);
        Log(watch, $"box answered: {answer.GetProperty("category")} {answer.GetProperty("classProbability")}");
        Assert.Equal(Expected, answer.GetProperty("category").GetString());
        Assert.Equal(Expected, await b.Page.TextContentAsync("#object-category"));
        Assert.Contains("confidence", await b.Page.TextContentAsync("#object-facts"));
        var mask = await MaskVoxels(b);
        Assert.Equal(RleArea(answer), mask.Count);
        Assert.All(mask, v => Assert.Equal(s.Z, v[2]));
        int inBox = mask.Count(v => v[0] >= s.X0 - 2 && v[0] <= s.X1 + 2 && v[1] >= s.Y0 - 2 && v[1] <= s.Y1 + 2);
        Assert.True(inBox >= 0.9 * mask.Count, $"{inBox} of {mask.Count} mask voxels lie in the box {string.Join(", ", box)}");
        int onStructure = mask.Count(v => s.Voxels.Contains((v[0], v[1])));
        output.WriteLine($"mask {mask.Count} voxels, {inBox} in the box, {onStructure} on the atlas's {Expected} ({s.Voxels.Count})");
        Assert.True(onStructure >= 0.5 * mask.Count, $"only {onStructure} of {mask.Count} mask voxels lie on the atlas's {Expected}");

        // A click inside refines it (a new object from the old one's prompt plus the point).
        int first = answer.GetProperty("objectId").GetInt32();
        var (x, y) = await b.PagePoint(s.Inside, Axial);
        await b.Page.Mouse.ClickAsync(x, y);
        await b.Until($"segsam.state.object && segsam.state.object.objectId !== {first}");
        var refined = await b.Js("() => segsam.state.object");
        Assert.Equal(first, (await b.Js("() => segsam.state.lastPrompt")).GetProperty("refine").GetInt32());
        string category = refined.GetProperty("category").GetString()!;
        Assert.Equal(category, await b.Page.TextContentAsync("#object-category"));
        mask = await MaskVoxels(b);
        Assert.Equal(RleArea(refined), mask.Count);
        Assert.Contains(mask, v => v[0] == s.Inside[0] && v[1] == s.Inside[1] && v[2] == s.Z);
        Log(watch, $"refined: {category}, {mask.Count} voxels");

        // A shift-click (as a right click) adds a background point to the refined object.
        int second = refined.GetProperty("objectId").GetInt32();
        (x, y) = await b.PagePoint([s.X1 + 4, s.Inside[1], s.Z], Axial);
        await b.Page.Mouse.MoveAsync(x, y);
        await b.Page.Keyboard.DownAsync("Shift");
        await b.Page.Mouse.ClickAsync(x, y);
        await b.Page.Keyboard.UpAsync("Shift");
        await b.Until($"segsam.state.object && segsam.state.object.objectId !== {second}");
        var background = (await b.Js("() => segsam.state.lastPrompt")).GetProperty("points")[0];
        Assert.Equal((second, 0), ((await b.Js("() => segsam.state.lastPrompt")).GetProperty("refine").GetInt32(), background[2].GetInt32()));
        refined = await b.Js("() => segsam.state.object");
        category = refined.GetProperty("category").GetString()!;
        mask = await MaskVoxels(b);
        Assert.Equal(RleArea(refined), mask.Count);
        Log(watch, $"background point: {category}, {mask.Count} voxels");

        // Accept: the label volume holds it, drawn in its label's colour, with a legend entry.
        await b.Page.Keyboard.PressAsync("a");
        await b.Until("segsam.state.object.accepted && segsam.state.labels.objects.length === 1");
        var kept = (await b.Js("() => segsam.state.labels")).GetProperty("objects")[0];
        int label = kept.GetProperty("label").GetInt32();
        Assert.Equal(mask.Count, kept.GetProperty("voxels").GetInt32());
        Assert.Equal(mask.Count, (await b.Js("v => segsam.drawnCount(v)", label)).GetInt32());
        Assert.Contains($"{label} {category}", await b.Page.TextContentAsync("#legend"));
        Log(watch, $"accepted as label {label}");

        // Download labels.nii.gz: the input's grid, and exactly the voxels the viewer drew.
        var download = await b.Page.RunAndWaitForDownloadAsync(() => b.Page.Keyboard.PressAsync("d"));
        Assert.Equal("labels.nii.gz", download.SuggestedFilename);
        using var dir = new TempDir();
        string path = dir.File("labels.nii.gz");
        await download.SaveAsAsync(path);
        var labels = MedicalImage.Load(path);
        Assert.Equal(dims, labels.Dims);
        var ras = Orientation.Canonical(labels).Canonical;
        var saved = new HashSet<(int, int, int)>();
        for (int i = 0; i < ras.Data.Length; i++)
            if (ras.Data[i] != 0)
            {
                Assert.Equal((float)label, ras.Data[i]);
                saved.Add((i % dims[0], i / dims[0] % dims[1], i / (dims[0] * dims[1])));
            }
        Assert.True(saved.SetEquals(mask.Select(v => (v[0], v[1], v[2]))), $"labels.nii.gz holds {saved.Count} voxels, the viewer drew {mask.Count}");
        Log(watch, "labels.nii.gz read back");

        await Screenshot(b, s);

        // × in the legend removes the accepted object from the label volume.
        await b.Page.ClickAsync($"#legend li[data-label='{label}'] button");
        await b.Until("segsam.state.labels.objects.length === 0");
        Assert.Equal(0, (await b.Js("v => segsam.drawnCount(v)", label)).GetInt32());
        Assert.Equal("none accepted yet", (await b.Page.TextContentAsync("#legend"))?.Trim());

        // Open a file of one's own: an LPS volume, shown on its RAS+ grid.
        string upload = dir.File("scan.nii.gz");
        var data = new float[24 * 20 * 12];
        for (int i = 0; i < data.Length; i++) data[i] = i % 24 is > 6 and < 16 ? 200 : 30;
        NiftiFile.Write(upload, new Volume([24, 20, 12], data, new double[,] { { -0.8, 0, 0, 10 }, { 0, -0.9, 0, -5 }, { 0, 0, 2.5, 3 }, { 0, 0, 0, 1 } }), "int16");
        await b.Page.SetInputFilesAsync("#file", upload);
        await b.Until("segsam.state.volume && segsam.state.volume.name === 'scan.nii.gz' && segsam.state.labels && segsam.nv.volumes.length === 1");
        Assert.Equal("LPS", (await b.Js("() => segsam.state.volume.orientation")).GetString());
        Assert.Equal([3, 24, 20, 12], (await b.Js("() => Array.from(segsam.nv.volumes[0].dimsRAS)")).EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal("none accepted yet", (await b.Page.TextContentAsync("#legend"))?.Trim());

        // Window/level: the fields set NiiVue's display range, R (Auto) resets it.
        await b.Page.FillAsync("#window", "100");
        await b.Page.FillAsync("#level", "80");
        await b.Page.Locator("#level").DispatchEventAsync("change");
        var range = await b.Js("() => [segsam.nv.volumes[0].cal_min, segsam.nv.volumes[0].cal_max]");
        Assert.Equal((30.0, 130.0), (range[0].GetDouble(), range[1].GetDouble()));
        await b.Page.Locator("#gl").FocusAsync();
        await b.Page.Keyboard.PressAsync("r");
        range = await b.Js("() => [segsam.nv.volumes[0].cal_min, segsam.nv.volumes[0].cal_max]");
        Assert.NotEqual((30.0, 130.0), (range[0].GetDouble(), range[1].GetDouble()));
        Assert.Equal(range[1].GetDouble() - range[0].GetDouble(), double.Parse((await b.Page.InputValueAsync("#window"))!), 3);

        // Keys: ↑ steps the axial slice; 5 shows 3D, where a drag rotates the rendering instead of prompting.
        await b.Page.Keyboard.PressAsync("1");
        int z = (await b.Js("() => segsam.nv.frac2vox(segsam.nv.scene.crosshairPos)[2]")).GetInt32();
        await b.Page.Keyboard.PressAsync("ArrowUp");
        Assert.Equal(z + 1, (await b.Js("() => segsam.nv.frac2vox(segsam.nv.scene.crosshairPos)[2]")).GetInt32());
        await b.Page.Keyboard.PressAsync("5");
        double azimuth = (await b.Js("() => segsam.nv.scene.renderAzimuth")).GetDouble();
        var centre = await b.Page.Locator("#gl").BoundingBoxAsync();
        await b.Page.Mouse.MoveAsync(centre!.X + centre.Width / 2, centre.Y + centre.Height / 2);
        await b.Page.Mouse.DownAsync();
        await b.Page.Mouse.MoveAsync(centre.X + centre.Width / 2 + 80, centre.Y + centre.Height / 2, new() { Steps = 4 });
        await b.Page.Mouse.UpAsync();
        Assert.NotEqual(azimuth, (await b.Js("() => segsam.nv.scene.renderAzimuth")).GetDouble());
        Assert.True((await b.Js("() => segsam.state.object === null && segsam.state.lastPrompt.refine !== undefined")).GetBoolean(), "the drag on the 3D view prompted");
        Assert.Empty(b.Errors);
        Log(watch, "done");
    }

    /// <summary>
    /// Propagate through the job API (POST .../objects/{oid}/propagate → job, GET /jobs/{id}): the
    /// object keeps its id, spans slices around the prompted one, and is accepted in 3D.
    /// </summary>
    [Fact]
    public async Task PropagateMakesTheBoxedObject3DAndAcceptKeepsItIn3D()
    {
        var watch = Stopwatch.StartNew();
        await using var b = await ViewerBrowser.Start();
        var dims = await OpenBuiltin(b);
        var s = Thalamus(dims);
        var (answer, _) = await DragBox(b, s);
        int area = RleArea(answer);

        await b.Page.Keyboard.PressAsync("p");
        await b.Until("segsam.state.object.propagated", 120_000);
        var result = (await b.Js("() => segsam.state.object")).GetProperty("propagated");
        Log(watch, $"propagated: {result}");
        Assert.Equal(answer.GetProperty("objectId").GetInt32(), result.GetProperty("objectId").GetInt32());
        int firstSlice = result.GetProperty("firstSlice").GetInt32(), lastSlice = result.GetProperty("lastSlice").GetInt32();
        Assert.True(firstSlice < s.Z && s.Z < lastSlice, $"slices {firstSlice}–{lastSlice} around {s.Z}");
        int voxels = result.GetProperty("voxels").GetInt32();
        Assert.True(voxels > area, $"{voxels} voxels in 3D, {area} on the prompted slice");
        Assert.Contains($"slices {firstSlice}–{lastSlice}", await b.Page.TextContentAsync("#object-facts"));

        await b.Page.Keyboard.PressAsync("a");
        await b.Until("segsam.state.object.accepted && segsam.state.labels.objects.length === 1");
        var kept = (await b.Js("() => segsam.state.labels")).GetProperty("objects")[0];
        Assert.Equal(voxels, kept.GetProperty("voxels").GetInt32());
        Assert.Equal(voxels, (await b.Js("v => segsam.drawnCount(v)", kept.GetProperty("label").GetInt32())).GetInt32());
        Assert.Empty(b.Errors);
    }

    /// <summary>Opens the built-in MRI with the toolbar button and waits until NiiVue shows it; returns its RAS+ dims.</summary>
    static async Task<int[]> OpenBuiltin(ViewerBrowser b)
    {
        await b.Page.Keyboard.PressAsync("1"); // one axial tile: software WebGL renders it much faster than four with a 3D one
        await b.Page.ClickAsync("#builtin");
        await b.Until("segsam.state.volume && segsam.state.labels && segsam.nv.volumes.length === 1 && segsam.nv.drawBitmap", 60_000);
        var volume = await b.Js("() => segsam.state.volume");
        Assert.Equal("ch2.nii.gz", volume.GetProperty("name").GetString());
        return [.. volume.GetProperty("dims").EnumerateArray().Select(d => d.GetInt32())];
    }

    /// <summary>Shows the structure's axial slice alone and drags a box from one corner of its bounds to the other.</summary>
    static async Task<(JsonElement Answer, int[] Box)> DragBox(ViewerBrowser b, Structure s)
    {
        await b.Page.Keyboard.PressAsync("1");
        await b.Js("v => segsam.goTo(v)", s.Inside);
        var (x0, y0) = await b.PagePoint([s.X0, s.Y1, s.Z], Axial);
        var (x1, y1) = await b.PagePoint([s.X1, s.Y0, s.Z], Axial);
        await b.Page.Mouse.MoveAsync(x0, y0);
        await b.Page.Mouse.DownAsync();
        await b.Page.Mouse.MoveAsync(x1, y1, new() { Steps = 5 });
        await b.Page.Mouse.UpAsync();
        await b.Until("segsam.state.object");
        var sent = await b.Js("() => segsam.state.lastBox");
        Assert.Equal("axial", sent.GetProperty("axis").GetString());
        Assert.Equal(s.Z, sent.GetProperty("index").GetInt32());
        int[] box = [.. sent.GetProperty("box").EnumerateArray().Select(v => v.GetInt32())];
        // The box in slice pixels (columns from the patient's right, rows from anterior): the structure's bounds, to a voxel.
        int nx = (await b.Js("() => segsam.state.volume.dims[0]")).GetInt32(), ny = (await b.Js("() => segsam.state.volume.dims[1]")).GetInt32();
        int[] expected = [nx - 1 - s.X1, ny - 1 - s.Y1, nx - 1 - s.X0, ny - 1 - s.Y0];
        for (int i = 0; i < 4; i++) Assert.True(Math.Abs(box[i] - expected[i]) <= 1, $"box [{string.Join(", ", box)}], the structure's bounds [{string.Join(", ", expected)}]");
        return (await b.Js("() => segsam.state.object"), box);
    }

    static async Task<List<int[]>> MaskVoxels(ViewerBrowser b) =>
        [.. (await b.Js("() => segsam.maskVoxels()")).EnumerateArray().Select(v => v.EnumerateArray().Select(c => c.GetInt32()).ToArray())];

    /// <summary>Pixels set in an answer's run-length mask (odd runs are ones).</summary>
    static int RleArea(JsonElement answer) =>
        answer.GetProperty("maskRle").EnumerateArray().Select((run, i) => i % 2 == 1 ? run.GetInt32() : 0).Sum();

    /// <summary>The AAL atlas's left thalamus (value 77) on the RAS+ grid, which is Colin27's.</summary>
    static Structure Thalamus(int[] dims) => Aal(dims, 77);

    /// <summary>AAL region <paramref name="value"/> (1–116) on the RAS+ grid, which is Colin27's, on axial slice <paramref name="slice"/> (default: where it is largest).</summary>
    static Structure Aal(int[] dims, int value, int? slice = null)
    {
        string atlas = Path.Combine(SegSam.Data.AtlasDataset.DefaultTemplates, "aal.nii.gz");
        var aal = Orientation.Canonical(MedicalImage.Load(atlas)).Canonical;
        Assert.Equal(dims, aal.Dims);
        int nx = dims[0], ny = dims[1];
        var perSlice = new int[dims[2]];
        for (int i = 0; i < aal.Data.Length; i++) if (aal.Data[i] == value) perSlice[i / (nx * ny)]++;
        int z = slice ?? Array.IndexOf(perSlice, perSlice.Max());
        var voxels = new HashSet<(int, int)>();
        for (int y = 0; y < ny; y++)
            for (int x = 0; x < nx; x++)
                if (aal.Data[x + nx * (y + ny * z)] == value) voxels.Add((x, y));
        double cx = voxels.Average(v => v.Item1), cy = voxels.Average(v => v.Item2);
        var inside = voxels.MinBy(v => Math.Pow(v.Item1 - cx, 2) + Math.Pow(v.Item2 - cy, 2));
        return new Structure(z, voxels.Min(v => v.Item1), voxels.Min(v => v.Item2), voxels.Max(v => v.Item1), voxels.Max(v => v.Item2),
            [inside.Item1, inside.Item2, z], voxels);
    }

    /// <summary>
    /// The viewer as it is (one axial tile) next to the test assembly; with SEGSAM_VIEWER_PNG set, also
    /// with a second object prompted (the right thalamus, not accepted) in the multiplanar layout with
    /// the 3D view (slower in software WebGL) at that path.
    /// </summary>
    async Task Screenshot(ViewerBrowser b, Structure s)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "viewer.png");
        await b.Page.ScreenshotAsync(new() { Path = path });
        output.WriteLine($"screenshot: {path}");
        if (Environment.GetEnvironmentVariable("SEGSAM_VIEWER_PNG") is not { Length: > 0 } target) return;
        target = Path.IsPathRooted(target) ? target : Path.Combine(Fixtures.RepoRoot, target);
        var right = Aal([.. (await b.Js("() => segsam.state.volume.dims")).EnumerateArray().Select(d => d.GetInt32())], 78, s.Z);
        await DragBox(b, right);
        await b.Page.Keyboard.PressAsync("4");
        await b.Js("v => segsam.goTo(v)", new[] { (s.Inside[0] + right.Inside[0]) / 2, s.Inside[1], s.Inside[2] });
        await b.Page.WaitForTimeoutAsync(300);
        await b.Page.ScreenshotAsync(new() { Path = target });
        output.WriteLine($"screenshot: {target}");
    }

    void Log(Stopwatch watch, string what) => output.WriteLine($"{watch.Elapsed.TotalSeconds,6:F1} s  {what}");
}
