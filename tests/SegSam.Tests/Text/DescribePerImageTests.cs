using System.CommandLine;
using System.Text.Json;
using SegSam.Checkpoints;
using SegSam.Cli;
using SegSam.Cli.Commands;
using SegSam.Data;
using SegSam.Imaging;
using SegSam.Modeling;
using SegSam.Modeling.PgSam;
using SegSam.Tests.Support;
using SegSam.Text;
using StubServer = SegSam.Tests.Text.TextTests.StubServer;

namespace SegSam.Tests.Text;

/// <summary>
/// Per-image descriptions for PG-SAM (`segsam describe --per-image`): the slices go to a local
/// stub of an OpenAI-compatible chat endpoint as PNG data URLs, and the answers land in the
/// slice id → text file that PG-SAM reads.
/// </summary>
public class DescribePerImageTests
{
    static OpenAiClient Client(StubServer server) =>
        new(server.Url, "SEGSAM_TEST_UNSET_KEY") { RetryDelay = TimeSpan.FromMilliseconds(1), Timeout = TimeSpan.FromSeconds(20) };

    /// <summary>The image part of a request: its media type and bytes, decoded from the data URL.</summary>
    static (string MediaType, byte[] Bytes) ImageOf(StubServer.Request request)
    {
        var content = request.Body.GetProperty("messages")[0].GetProperty("content");
        Assert.Equal(2, content.GetArrayLength());
        Assert.Equal("image_url", content[1].GetProperty("type").GetString());
        string url = content[1].GetProperty("image_url").GetProperty("url").GetString()!;
        var match = System.Text.RegularExpressions.Regex.Match(url, "^data:(image/[a-z]+);base64,(.+)$");
        Assert.True(match.Success, url[..Math.Min(60, url.Length)]);
        return (match.Groups[1].Value, Convert.FromBase64String(match.Groups[2].Value));
    }

    static string QuestionOf(StubServer.Request request) =>
        request.Body.GetProperty("messages")[0].GetProperty("content")[0].GetProperty("text").GetString()!;

    /// <summary>The stub's answer: a fact of the image it was sent, so a text can be traced to its slice.</summary>
    static string AnswerFor(byte[] png)
    {
        var image = PngDecoder.Decode(png, "request");
        return $"A {image.Height}x{image.Width} slice, pixel sum {image.Data.Sum(v => (double)v)}.";
    }

    static string AnswerFor(LabelledSlice slice) => $"A {slice.Height}x{slice.Width} slice, pixel sum {slice.Image.Sum(v => (double)Math.Round(v))}.";

    static (int Status, string Body) Describing(StubServer.Request request) => (200, StubServer.Chat(AnswerFor(ImageOf(request).Bytes)));

    static SliceDataset Renamed(SliceDataset data, string prefix) => new()
    {
        Name = data.Name, Modality = data.Modality, Categories = data.Categories, PixelSpacing = data.PixelSpacing,
        Slices = data.Slices.Select(s => s with { Id = prefix + s.Id }).ToList(),
    };

    // ---- the generator ----

    [Fact]
    public void EachSliceGoesAsItsPngAndTheFileIsWhatPgSamReads()
    {
        using var server = new StubServer();
        server.Respond = Describing;
        using var dir = new TempDir();
        var data = TinySegSam.Dataset(3);
        string path = dir.File("descriptions.json");

        var run = new SliceDescriptionGenerator(Client(server), "vision-model").Run(path, SliceImages.FromDataset(data, "train"));
        Assert.Equal((3, 0, 0), (run.Generated, run.Cached, run.Remaining));
        Assert.Equal(3, server.Requests.Count);
        for (int i = 0; i < 3; i++)
        {
            var request = server.Requests[i];
            Assert.Equal("/v1/chat/completions", request.Path);
            Assert.Equal("vision-model", request.Body.GetProperty("model").GetString());
            Assert.Equal(0, request.Body.GetProperty("temperature").GetDouble());
            Assert.Equal(SliceDescriptionPrompt.Build("MR"), QuestionOf(request));
            var (mediaType, bytes) = ImageOf(request);
            Assert.Equal("image/png", mediaType);
            var png = PngDecoder.Decode(bytes, $"request {i}");
            Assert.Equal((32, 32, 1, 8), (png.Height, png.Width, png.Channels, png.BitDepth));
            Assert.Equal(data.Slices[i].Image, png.Data); // the slice's own pixels, exactly
        }

        var file = SliceDescriptions.ReadFile(path);
        Assert.Equal(data.Slices.Select(s => s.Id), file.Keys);
        foreach (var slice in data.Slices) Assert.Equal(AnswerFor(slice), file[slice.Id]);

        var loaded = SliceDescriptions.Load(path);
        Assert.Equal(AnswerFor(data.Slices[1]), loaded.For("synthetic-001"));
        var prior = new PgSamPriorConfig { Descriptions = PgSamPriorConfig.PerImageDescriptions, Template = "unused" };
        Assert.Equal(data.Slices.Select(AnswerFor), PgSamPrior.Texts(prior, data.Slices.Select(s => s.Id).ToList(), loaded));
    }

    [Fact]
    public void TheQuestionAsksForTheVisibleAnatomyBriefly()
    {
        string q = SliceDescriptionPrompt.Build("brain T1-weighted MRI axial slice");
        Assert.StartsWith("The attached image is one slice of a medical scan (brain T1-weighted MRI axial slice).", q);
        foreach (var part in new[] { "at most 50 words", "imaging modality", "anatomical structures and organs that are visible",
                     "position", "relative size", "shape", "texture or intensity", "without making any medical diagnoses" })
            Assert.Contains(part, q);
        Assert.StartsWith("The attached image is one slice of a medical scan. Please", SliceDescriptionPrompt.Build());
    }

    [Fact]
    public void ASecondRunAsksNothingForceAsksAgainAndOtherEntriesStay()
    {
        using var server = new StubServer();
        server.Respond = Describing;
        using var dir = new TempDir();
        var slices = SliceImages.FromDataset(TinySegSam.Dataset(3), "train");
        string path = dir.File("d.json");
        SliceDescriptions.Save(path, [new("elsewhere-007", "kept as it was")]);
        var generator = new SliceDescriptionGenerator(Client(server), "m");

        generator.Run(path, slices);
        Assert.Equal(3, server.Requests.Count);
        var again = generator.Run(path, slices);
        Assert.Equal((0, 3), (again.Generated, again.Cached));
        Assert.All(again.Steps, s => Assert.Equal(DescriptionStatus.Cached, s.Status));
        Assert.Equal(3, server.Requests.Count);

        var forced = generator.Run(path, slices, force: true);
        Assert.Equal(3, forced.Generated);
        Assert.Equal(6, server.Requests.Count);
        var file = SliceDescriptions.ReadFile(path);
        Assert.Equal(["elsewhere-007", "synthetic-000", "synthetic-001", "synthetic-002"], file.Keys);
        Assert.Equal("kept as it was", file["elsewhere-007"]);
    }

    [Fact]
    public void AFailureMidRunNamesTheSliceAndKeepsTheAnswersWritten()
    {
        using var server = new StubServer();
        var data = TinySegSam.Dataset(4);
        string failing = AnswerFor(data.Slices[2]);
        server.Respond = r => AnswerFor(ImageOf(r).Bytes) == failing
            ? (400, "{\"error\":{\"message\":\"image too small for this model\"}}")
            : Describing(r);
        using var dir = new TempDir();
        string path = dir.File("d.json");
        var slices = SliceImages.FromDataset(data, "data/train");
        var generator = new SliceDescriptionGenerator(Client(server), "m");

        var e = Assert.Throws<ServiceException>(() => generator.Run(path, slices));
        Assert.Contains("slice 'synthetic-002' (data/train)", e.Message);
        Assert.Contains("HTTP 400", e.Message);
        Assert.Contains("image too small for this model", e.Message);
        Assert.Contains($"the 2 description(s) of this run are saved in {path}; run again to resume", e.Message);
        Assert.Equal(["synthetic-000", "synthetic-001"], SliceDescriptions.ReadFile(path).Keys);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));

        // The endpoint recovers: the next run asks only for what is missing.
        server.Respond = Describing;
        int before = server.Requests.Count;
        var resumed = generator.Run(path, slices);
        Assert.Equal((2, 2), (resumed.Cached, resumed.Generated));
        Assert.Equal(before + 2, server.Requests.Count);
        Assert.Equal(data.Slices.Select(s => s.Id), SliceDescriptions.ReadFile(path).Keys);
    }

    [Fact]
    public void LimitAsksForAtMostNSlicesPerRun()
    {
        using var server = new StubServer();
        server.Respond = Describing;
        using var dir = new TempDir();
        var slices = SliceImages.FromDataset(TinySegSam.Dataset(3), "train");
        var generator = new SliceDescriptionGenerator(Client(server), "m");

        var first = generator.Run(dir.File("d.json"), slices, limit: 2);
        Assert.Equal((2, 0, 1), (first.Generated, first.Cached, first.Remaining));
        var second = generator.Run(dir.File("d.json"), slices, limit: 2);
        Assert.Equal((1, 2, 0), (second.Generated, second.Cached, second.Remaining));
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public void AnswersAreFlattenedAndAnEmptyOneNamesTheSlice()
    {
        using var server = new StubServer { Respond = _ => (200, StubServer.Chat("**Description:** An axial MR slice:\n\n  the *lateral* ventricles\tcentrally.\n")) };
        var slice = SliceImages.FromDataset(TinySegSam.Dataset(1), "train")[0];
        var generator = new SliceDescriptionGenerator(Client(server), "m") { Modality = "brain T1-weighted MRI axial slice" };
        Assert.Equal("An axial MR slice: the *lateral* ventricles centrally.", generator.Describe(slice));
        Assert.Equal(SliceDescriptionPrompt.Build("brain T1-weighted MRI axial slice"), QuestionOf(server.Requests[0]));

        server.Respond = _ => (200, StubServer.Chat("  \n "));
        using var dir = new TempDir();
        var e = Assert.Throws<InvalidDataException>(() => generator.Run(dir.File("d.json"), [slice]));
        Assert.Contains("slice 'synthetic-000' (train): the answer is empty", e.Message);
        Assert.Contains("nothing was written", e.Message);
        Assert.False(File.Exists(dir.File("d.json")));
    }

    // ---- where the slices come from ----

    [Fact]
    public void PreparedDataIsOneSetOrEverySetOfARoot()
    {
        using var dir = new TempDir();
        string root = dir.File("data");
        TinySegSam.Dataset(3).Save(Path.Combine(root, "train"));
        Renamed(TinySegSam.Dataset(2, seed: 2), "test-").Save(Path.Combine(root, "test"));
        Directory.CreateDirectory(Path.Combine(root, "not-a-set"));

        Assert.Equal(["synthetic-000", "synthetic-001", "synthetic-002"], SliceImages.FromPreparedData(Path.Combine(root, "train")).Select(s => s.Id));
        var all = SliceImages.FromPreparedData(root);
        Assert.Equal(["test-synthetic-000", "test-synthetic-001", "synthetic-000", "synthetic-001", "synthetic-002"], all.Select(s => s.Id));
        Assert.Equal(Path.Combine(root, "test"), all[0].Source);
        Assert.All(all, s => Assert.Equal("MR", s.Modality));

        TinySegSam.Dataset(2, seed: 3).Save(Path.Combine(root, "macaque"));
        var clash = Assert.Throws<InvalidDataException>(() => SliceImages.FromPreparedData(root));
        Assert.Contains("slice id 'synthetic-000' is in both", clash.Message);

        var none = Assert.Throws<FileNotFoundException>(() => SliceImages.FromPreparedData(Path.Combine(root, "not-a-set")));
        Assert.Contains("run `segsam prepare` first", none.Message);
    }

    [Fact]
    public void AFolderOfPicturesGivesOneSlicePerFileNamedByItsStem()
    {
        using var server = new StubServer { Respond = _ => (200, StubServer.Chat("text")) };
        using var dir = new TempDir();
        string images = dir.File("images");
        Directory.CreateDirectory(images);
        var gray = Enumerable.Range(0, 12 * 10).Select(i => (byte)(i * 2)).ToArray();
        PixelFile.WritePng(Path.Combine(images, "case1_slice07.png"), 12, 10, 1, gray);
        using (var jpeg = File.Create(Path.Combine(images, "case1_slice08.JPG")))
            new StbImageWriteSharp.ImageWriter().WriteJpg(gray, 10, 12, StbImageWriteSharp.ColorComponents.Grey, jpeg, 90);
        PixelFile.WriteGray16Png(Path.Combine(images, "case1_slice09.png"), 2, 2, [1000, 2000, 3000, 5000]);
        File.WriteAllText(Path.Combine(images, "notes.txt"), "not an image");

        var slices = SliceImages.FromFolder(images);
        Assert.Equal(["case1_slice07", "case1_slice08", "case1_slice09"], slices.Select(s => s.Id));
        Assert.All(slices, s => Assert.Null(s.Modality));
        new SliceDescriptionGenerator(Client(server), "m").Run(dir.File("d.json"), slices);

        var (type0, bytes0) = ImageOf(server.Requests[0]);
        Assert.Equal("image/png", type0);
        Assert.Equal(File.ReadAllBytes(Path.Combine(images, "case1_slice07.png")), bytes0); // an 8-bit PNG goes as it is
        var (type1, bytes1) = ImageOf(server.Requests[1]);
        Assert.Equal("image/jpeg", type1);
        Assert.Equal(File.ReadAllBytes(Path.Combine(images, "case1_slice08.JPG")), bytes1); // so does a JPEG
        var (type2, bytes2) = ImageOf(server.Requests[2]);
        Assert.Equal("image/png", type2); // 16-bit: scaled to 8 bits
        var png = PngDecoder.Decode(bytes2, "request");
        Assert.Equal(8, png.BitDepth);
        Assert.Equal([0f, 64f, 128f, 255f], png.Data);
        Assert.Equal(["case1_slice07", "case1_slice08", "case1_slice09"], SliceDescriptions.ReadFile(dir.File("d.json")).Keys);
    }

    [Fact]
    public void FolderProblemsAreNamedBeforeAnythingIsAsked()
    {
        using var dir = new TempDir();
        string images = dir.File("images");
        Directory.CreateDirectory(images);
        File.WriteAllText(Path.Combine(images, "readme.txt"), "no pictures here");
        var empty = Assert.Throws<InvalidDataException>(() => SliceImages.FromFolder(images));
        Assert.Contains("no images to describe", empty.Message);
        Assert.Throws<DirectoryNotFoundException>(() => SliceImages.FromFolder(dir.File("missing")));

        PixelFile.WritePng(Path.Combine(images, "good.png"), 2, 2, 1, [0, 1, 2, 3]);
        File.WriteAllText(Path.Combine(images, "broken.png"), "not a png");
        File.WriteAllBytes(Path.Combine(images, "cut.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]);
        var bad = Assert.Throws<InvalidDataException>(() => SliceImages.FromFolder(images));
        Assert.Contains("2 of 3 images", bad.Message);
        Assert.Contains(Path.Combine(images, "broken.png"), bad.Message);
        Assert.Contains(Path.Combine(images, "cut.jpg"), bad.Message);
        Assert.DoesNotContain("good.png", bad.Message);

        File.Delete(Path.Combine(images, "broken.png"));
        File.Delete(Path.Combine(images, "cut.jpg"));
        PixelFile.WritePng(Path.Combine(images, "good.jpeg.png"), 2, 2, 1, [0, 1, 2, 3]);
        File.Copy(Path.Combine(images, "good.png"), Path.Combine(images, "good.jpeg"));
        var twice = Assert.Throws<InvalidDataException>(() => SliceImages.FromFolder(images));
        Assert.Contains("would both be slice 'good'", twice.Message);
    }

    // ---- segsam describe --per-image ----

    [Fact]
    public void CommandDescribesADatasetRootCachesAndForces()
    {
        using var server = new StubServer();
        server.Respond = Describing;
        using var dir = new TempDir();
        string root = dir.File("data");
        var train = TinySegSam.Dataset(3);
        train.Save(Path.Combine(root, "train"));
        Renamed(TinySegSam.Dataset(1, seed: 2), "test-").Save(Path.Combine(root, "test"));
        string output = dir.File("slices.json");
        string[] common = ["--per-image", "--data", root, "--endpoint", server.Url, "--model", "vision", "--key-env", "SEGSAM_TEST_UNSET_KEY", "--out", output];

        var first = TextTests.Describe([.. common, "--limit", "3"]);
        Assert.Equal(ExitCodes.Success, first.Code);
        Assert.Contains("[1/4] test-synthetic-000: described", first.Out);
        Assert.Contains($"wrote {output}: 3 slices described, 0 already there; 1 left for a later run (--limit)", first.Out);
        Assert.Equal(3, server.Requests.Count);

        var second = TextTests.Describe([.. common, "--json"]);
        using (var json = JsonDocument.Parse(second.Out))
        {
            var r = json.RootElement;
            Assert.Equal((1, 3, 0), (r.GetProperty("generated").GetInt32(), r.GetProperty("cached").GetInt32(), r.GetProperty("remaining").GetInt32()));
            Assert.Equal("generated", r.GetProperty("slices")[3].GetProperty("status").GetString());
            Assert.Equal("synthetic-002", r.GetProperty("slices")[3].GetProperty("id").GetString());
        }
        Assert.Contains("[1/4] test-synthetic-000: already described", second.Err);
        Assert.Equal(4, server.Requests.Count);
        Assert.Equal(AnswerFor(train.Slices[2]), SliceDescriptions.Load(output).For("synthetic-002"));

        var third = TextTests.Describe(common);
        Assert.Contains("already describes all 4 slices (use --force to ask again)", third.Out);
        Assert.Equal(4, server.Requests.Count);
        TextTests.Describe([.. common, "--force"]);
        Assert.Equal(8, server.Requests.Count);
    }

    [Fact]
    public void CommandRejectsMixedOrMissingInputs()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("names.txt"), "Liver\n");
        string[] ok = ["--model", "m", "--endpoint", "http://localhost:1"];
        (string[] Args, string Message)[] cases =
        [
            (["--per-image"], "exactly one of --data DIR (prepared slices) and --images DIR"),
            (["--per-image", "--data", dir.Path, "--images", dir.Path], "exactly one of --data"),
            (["--per-image", "--images", dir.Path, "--categories", dir.File("names.txt")], "--categories does not apply to --per-image"),
            (["--per-image", "--images", dir.Path, "--limit", "-1"], "--limit must not be negative"),
            (["--categories", dir.File("names.txt"), "--limit", "2"], "apply to --per-image only"),
            (["--categories", dir.File("names.txt"), "--data", dir.Path], "apply to --per-image only"),
            ([], "describe needs --categories F"),
        ];
        foreach (var (args, message) in cases)
        {
            var e = Assert.Throws<UsageException>(() => TextTests.Describe([.. ok, .. args]));
            Assert.Contains(message, e.Message);
        }
    }

    [Fact]
    public void EndpointFailureIsOneLineNamingTheSliceWithExitCode3()
    {
        using var server = new StubServer { Respond = _ => (401, "{\"error\":{\"message\":\"Incorrect API key provided\"}}") };
        using var dir = new TempDir();
        string images = dir.File("images");
        Directory.CreateDirectory(images);
        PixelFile.WritePng(Path.Combine(images, "ct_042.png"), 4, 4, 1, new byte[16]);

        var result = Support.Cli.Run("describe", "--per-image", "--images", images, "--endpoint", server.Url, "--model", "m",
            "--key-env", "SEGSAM_TEST_UNSET_KEY", "--out", dir.File("d.json"));
        Assert.True(result.ExitCode == ExitCodes.InputError, result.ToString());
        string error = Assert.Single(result.StdErr.Trim().Split('\n'));
        Assert.StartsWith("segsam: error: slice 'ct_042' (", error);
        Assert.Contains("HTTP 401", error);
        Assert.Contains("Incorrect API key provided", error);
        Assert.Contains("nothing was written", error);

        var empty = Support.Cli.Run("describe", "--per-image", "--images", dir.Path, "--endpoint", server.Url, "--model", "m");
        Assert.True(empty.ExitCode == ExitCodes.InputError, empty.ToString());
        Assert.Contains("no images to describe", empty.StdErr);
    }

    // ---- the file in use ----

    [Fact]
    public void PgSamTrainsAndEvaluatesOnTheGeneratedFile()
    {
        using var server = new StubServer();
        server.Respond = Describing;
        using var dir = new TempDir();
        string data = dir.File("data");
        TinySegSam.Dataset(4, seed: 1).Save(Path.Combine(data, "train"));
        Renamed(TinySegSam.Dataset(2, seed: 2), "test-").Save(Path.Combine(data, "test"));
        TorchSharp.torch.manual_seed(4);
        using (var segsam = new SegSamModel(TinySegSam.Config("sawd") with { BoxPrior = true }))
            SegSamCheckpoint.Save(segsam, dir.File("segsam.safetensors"));
        string descriptions = dir.File("descriptions.json");
        Assert.Equal(ExitCodes.Success, TextTests.Describe("--per-image", "--data", data, "--endpoint", server.Url, "--model", "m", "--out", descriptions).Code);

        string run = dir.File("run");
        var train = Support.Cli.Run("train", "--model", "pgsam", "--data", data, "--init", dir.File("segsam.safetensors"), "--epochs", "1", "--batch", "2",
            "--warmup", "1", "--lr", "1e-3", "--image-descriptions", descriptions, "--out", run, "--json");
        Assert.True(train.ExitCode == 0, train.ToString());
        Assert.Contains("per-image descriptions from " + descriptions, train.StdErr);

        string model = Path.Combine(run, "model.safetensors");
        var evaluate = Support.Cli.Run("evaluate", "--model", model, "--data", data, "--image-descriptions", descriptions, "--json");
        Assert.True(evaluate.ExitCode == 0, evaluate.ToString());
        var without = Support.Cli.Run("evaluate", "--model", model, "--data", data);
        Assert.True(without.ExitCode == ExitCodes.InputError, without.ToString());
        Assert.Contains("trained with per-image descriptions", without.StdErr);
    }
}
