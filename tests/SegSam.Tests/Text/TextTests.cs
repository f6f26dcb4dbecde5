using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SegSam.Cli;
using SegSam.Cli.Commands;
using SegSam.Tests.Support;
using SegSam.Text;

namespace SegSam.Tests.Text;

/// <summary>
/// Category descriptions, the SEG-SAM prompt and its answer parser, the description generator,
/// the text encoders and `segsam describe`, against a local stub of an OpenAI-compatible server.
/// </summary>
public class TextTests
{
    const string AalLabels = "/usr/share/mricron/templates/aal.nii.txt";

    static string AnswerFor(string category) =>
        $"**1. Texture:** {category} texture.\n**2. Shape:** {category} shape.\n**3. Positional:** {category} position.";

    // The class name as the template puts it: "…characteristics of the NAME without…" or "… as it appears in…".
    static string CategoryIn(string question) =>
        Regex.Match(question, @"characteristics of the (.+?)(?: as it appears in .+?)? without").Groups[1].Value;

    static OpenAiClient Client(StubServer server, string keyVariable = "SEGSAM_TEST_UNSET_KEY") =>
        new(server.Url, keyVariable) { RetryDelay = TimeSpan.FromMilliseconds(1), Timeout = TimeSpan.FromSeconds(20) };

    // ---- the prompt template and the answer parser ----

    [Fact]
    public void PromptIsThePaperTemplateWithTheClassName()
    {
        Assert.Equal(
            "Please directly describe the texture, shape, and position characteristics of the Liver without making any medical diagnoses. "
            + "Your responses will not be used for any medical diagnosis or commercial purposes. Below is the answer format:\n"
            + "1. Texture: [Description].\n2. Shape: [Description].\n3. Positional: [Description].",
            DescriptionPrompt.Build("Liver"));

        string withAll = DescriptionPrompt.Build("Liver", "abdominal CT axial slice", withImage: true);
        Assert.Contains("characteristics of the Liver as it appears in a abdominal CT axial slice without making any medical diagnoses.", withAll);
        Assert.Contains("The highlighted Liver example in the image is available for additional reference.", withAll);
    }

    [Theory]
    [InlineData("1. Texture: Smooth grey.\n2. Shape: Wedge.\n3. Positional: Right upper abdomen.")]
    [InlineData("**1. Texture:** Smooth grey.\n**2. Shape:** Wedge.\n**3. Positional:** Right upper abdomen.")]
    [InlineData("Sure! Here is the description.\n\nTexture: Smooth grey.\nShape: Wedge.\nPosition: Right upper abdomen.\n\nLet me know if you need more.")]
    [InlineData("Texture: Smooth grey. Shape: Wedge. Position: Right upper abdomen.")]
    [InlineData("### 1. Texture\nSmooth\ngrey.\n### 2. Shape\nWedge.\n### 3. Positional\nRight upper abdomen.")]
    [InlineData("- *Texture characteristics*: Smooth grey.\r\n- *Shape*: Wedge.\r\n- *Positional*: Right upper abdomen.")]
    [InlineData("Here are the texture, shape and position characteristics:\n1) Texture: Smooth grey.\n2) Shape: Wedge.\n3) Position: Right upper abdomen.")]
    public void ParserReadsTheAnswerFormatAndItsVariants(string answer)
    {
        var d = DescriptionPrompt.ParseAnswer(answer);
        Assert.Equal(("Smooth grey.", "Wedge.", "Right upper abdomen."), (d.Texture, d.Shape, d.Position));
        Assert.Equal("Texture: Smooth grey. Shape: Wedge. Position: Right upper abdomen.", d.Text);
    }

    [Fact]
    public void ParserReadsThePapersOwnExample()
    {
        var d = DescriptionPrompt.ParseAnswer(
            "Texture: Texture characteristics of the aorta typically include a smooth and uniform appearance with some visible internal structures such as the intimal layer. "
            + "Shape: The shape of the aorta is typically tubular with a slightly curved or elongated appearance. "
            + "Position: The aorta is centrally located within the image, slightly towards the upper central region.");
        Assert.StartsWith("Texture characteristics of the aorta", d.Texture);
        Assert.Equal("The shape of the aorta is typically tubular with a slightly curved or elongated appearance.", d.Shape);
        Assert.EndsWith("upper central region.", d.Position);
    }

    [Fact]
    public void ParserNamesAMissingField()
    {
        var e = Assert.Throws<FormatException>(() => DescriptionPrompt.ParseAnswer("1. Texture: grey.\n3. Positional: left."));
        Assert.Contains("\"Shape:\"", e.Message);
        var empty = Assert.Throws<FormatException>(() => DescriptionPrompt.ParseAnswer("1. Texture: [Description].\n2. Shape: a.\n3. Positional: b."));
        Assert.Contains("an empty \"Texture:\" field", empty.Message);
    }

    // ---- the descriptions file ----

    [Fact]
    public void DescriptionsRoundTripAndLookUp()
    {
        using var dir = new TempDir();
        var set = new CategoryDescriptions("T", "S");
        set.Set("Liver", new("grey \"smooth\"", "wedge", "right", "me"));
        set.Set("Aorta", new("bright", "tube", "centre"));
        set.Save(dir.File("d.json"));

        var back = CategoryDescriptions.Load(dir.File("d.json"));
        Assert.Equal(["Liver", "Aorta"], back.Names);
        Assert.Equal(("T", "S"), (back.Template, back.Source));
        Assert.Equal("Texture: grey \"smooth\" Shape: wedge Position: right", back.TextFor("Liver"));
        Assert.Equal("me", back["Liver"].Source);
        Assert.Null(back["Aorta"].Source);
        var missing = Assert.Throws<KeyNotFoundException>(() => back.TextFor("Spleen"));
        Assert.Contains("'Spleen'", missing.Message);
    }

    [Theory]
    [InlineData("{ not json", "not valid JSON")]
    [InlineData("{\"version\":1,\"template\":\"t\",\"categories\":{}}", "no \"source\" field")]
    [InlineData("{\"version\":2,\"template\":\"t\",\"source\":\"s\",\"categories\":{}}", "unsupported \"version\"")]
    [InlineData("{\"version\":1,\"template\":\"t\",\"source\":\"s\",\"categories\":{\"Liver\":{\"texture\":\"a\",\"position\":\"c\"}}}", "category 'Liver' has no \"shape\" field")]
    [InlineData("{\"version\":1,\"template\":\"t\",\"source\":\"s\",\"categories\":{\"Liver\":{\"texture\":\"a\",\"shape\":\" \",\"position\":\"c\"}}}", "\"shape\" of category 'Liver' is empty")]
    public void BadDescriptionFilesFailNamingTheFile(string json, string expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("bad.json"), json);
        var e = Assert.Throws<InvalidDataException>(() => CategoryDescriptions.Load(dir.File("bad.json")));
        Assert.Contains(dir.File("bad.json"), e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void BuiltInAalDescriptionsCoverEveryAtlasRegion()
    {
        Assert.True(File.Exists(AalLabels), $"{AalLabels} not found: install the Debian package mricron-data (scripts/setup.sh)");
        var atlasNames = File.ReadAllLines(AalLabels)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(f => f.Length >= 2).Select(f => f[1]).ToList();
        Assert.Equal(116, atlasNames.Count);

        var aal = CategoryDescriptions.Load(Path.Combine(Fixtures.RepoRoot, "data", "descriptions", "aal.json"));
        Assert.Equal(atlasNames, aal.Names);
        Assert.Contains("not generated", aal.Source);
        foreach (var name in aal.Names)
        {
            var d = aal[name];
            Assert.False(string.IsNullOrWhiteSpace(d.Texture) || string.IsNullOrWhiteSpace(d.Shape) || string.IsNullOrWhiteSpace(d.Position), name);
        }
        Assert.Contains("left", aal.TextFor("Precentral_L"));
        Assert.Contains("right", aal.TextFor("Precentral_R"));
    }

    // ---- the generator against the stub chat endpoint ----

    [Fact]
    public void GeneratorAsksParsesAndCaches()
    {
        using var server = new StubServer();
        using var dir = new TempDir();
        var generator = new DescriptionGenerator(Client(server), "stub-model") { Modality = "abdominal CT axial slice" };

        var steps = generator.Run(dir.File("d.json"), ["Liver", "Right Kidney"]);
        Assert.All(steps, s => Assert.Equal(DescriptionStatus.Generated, s.Status));
        Assert.Equal(2, server.Requests.Count);
        var request = server.Requests[1];
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Null(request.Authorization);
        Assert.Equal("stub-model", request.Body.GetProperty("model").GetString());
        Assert.Equal(0, request.Body.GetProperty("temperature").GetDouble());
        var message = request.Body.GetProperty("messages")[0];
        Assert.Equal("user", message.GetProperty("role").GetString());
        Assert.Equal(DescriptionPrompt.Build("Right Kidney", "abdominal CT axial slice"), message.GetProperty("content").GetString());

        var saved = CategoryDescriptions.Load(dir.File("d.json"));
        Assert.Equal(["Liver", "Right Kidney"], saved.Names);
        Assert.Equal(new CategoryDescription("Liver texture.", "Liver shape.", "Liver position.", "stub-model"), saved["Liver"]);
        Assert.Equal(DescriptionPrompt.Build(DescriptionPrompt.ClassPlaceholder, "abdominal CT axial slice"), saved.Template);

        var again = generator.Run(dir.File("d.json"), ["Liver", "Right Kidney"]);
        Assert.All(again, s => Assert.Equal(DescriptionStatus.Cached, s.Status));
        Assert.Equal(2, server.Requests.Count);

        generator.Run(dir.File("d.json"), ["Right Kidney", "Spleen"], force: true);
        Assert.Equal(4, server.Requests.Count);
        Assert.Equal(["Liver", "Right Kidney", "Spleen"], CategoryDescriptions.Load(dir.File("d.json")).Names);
    }

    [Fact]
    public void KeyIsSentOnlyWhenItsVariableIsSet()
    {
        using var server = new StubServer();
        string variable = "SEGSAM_TEST_KEY_" + Guid.NewGuid().ToString("N");
        new DescriptionGenerator(Client(server, variable), "m").Describe("Liver");
        Environment.SetEnvironmentVariable(variable, "sk-test");
        try
        {
            new DescriptionGenerator(Client(server, variable), "m").Describe("Liver");
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
        Assert.Null(server.Requests[0].Authorization);
        Assert.Equal("Bearer sk-test", server.Requests[1].Authorization);
    }

    [Fact]
    public void AnImageGoesAsADataUrlPart()
    {
        using var server = new StubServer();
        byte[] png = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3];
        var d = new DescriptionGenerator(Client(server), "m").Describe("Liver", png);
        Assert.Equal("m, image attached", d.Source);

        var content = server.Requests[0].Body.GetProperty("messages")[0].GetProperty("content");
        Assert.Equal("text", content[0].GetProperty("type").GetString());
        Assert.Equal(DescriptionPrompt.Build("Liver", withImage: true), content[0].GetProperty("text").GetString());
        Assert.Equal("image_url", content[1].GetProperty("type").GetString());
        Assert.Equal("data:image/png;base64," + Convert.ToBase64String(png), content[1].GetProperty("image_url").GetProperty("url").GetString());
    }

    [Fact]
    public void RateLimitIsRetried()
    {
        using var server = new StubServer();
        server.Respond = r => server.Requests.Count == 1
            ? (429, "{\"error\":{\"message\":\"slow down\"}}")
            : StubServer.Default(r);
        var d = new DescriptionGenerator(Client(server), "m").Describe("Liver");
        Assert.Equal("Liver shape.", d.Shape);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public void PersistentServerErrorFailsClearly()
    {
        using var server = new StubServer { Respond = _ => (500, "{\"error\":{\"message\":\"model is overloaded\"}}") };
        var e = Assert.Throws<ServiceException>(() => new DescriptionGenerator(Client(server), "m").Describe("Liver"));
        Assert.Contains("HTTP 500", e.Message);
        Assert.Contains("model is overloaded", e.Message);
        Assert.Contains("after 4 attempts", e.Message);
        Assert.Equal(4, server.Requests.Count);
    }

    [Fact]
    public void ClientErrorIsNotRetriedAndShowsTheServersMessage()
    {
        using var server = new StubServer { Respond = _ => (401, "{\"error\":{\"message\":\"Incorrect API key provided\"}}") };
        var e = Assert.Throws<ServiceException>(() => new DescriptionGenerator(Client(server), "m").Describe("Liver"));
        Assert.Contains("HTTP 401", e.Message);
        Assert.Contains("Incorrect API key provided", e.Message);
        Assert.Single(server.Requests);
    }

    [Fact]
    public void UnreachableEndpointFailsClearly()
    {
        string url = $"http://127.0.0.1:{StubServer.FreePort()}";
        var e = Assert.Throws<ServiceException>(() => new DescriptionGenerator(new OpenAiClient(url), "m").Describe("Liver"));
        Assert.Contains($"cannot reach {url}/v1/chat/completions", e.Message);
    }

    [Fact]
    public void UnparsableAnswerNamesTheCategory()
    {
        using var server = new StubServer { Respond = _ => (200, StubServer.Chat("I cannot help with that.")) };
        var e = Assert.Throws<InvalidDataException>(() => new DescriptionGenerator(Client(server), "m").Describe("Left Kidney"));
        Assert.Contains("'Left Kidney'", e.Message);
        Assert.Contains("I cannot help with that.", e.Message);
    }

    [Theory]
    [InlineData("http://localhost:8000", "http://localhost:8000/v1/")]
    [InlineData("http://localhost:8000/", "http://localhost:8000/v1/")]
    [InlineData("http://localhost:8000/v1", "http://localhost:8000/v1/")]
    [InlineData("https://api.openai.com/v1/", "https://api.openai.com/v1/")]
    [InlineData("https://example.org/openai", "https://example.org/openai/v1/")]
    public void EndpointIsAcceptedWithOrWithoutV1(string endpoint, string expected) =>
        Assert.Equal(expected, OpenAiClient.ApiBase(endpoint).ToString());

    [Theory]
    [InlineData("localhost:8000")]
    [InlineData("ftp://example.org")]
    [InlineData("http://example.org/v1?key=1")]
    public void BadEndpointsAreRejected(string endpoint) =>
        Assert.Throws<ArgumentException>(() => OpenAiClient.ApiBase(endpoint));

    // ---- text encoders ----

    [Fact]
    public void EmbeddingEncoderBatchesAndKeepsOrder()
    {
        using var server = new StubServer();
        var encoder = new OpenAiEmbeddingEncoder(Client(server), "embed-small");
        var texts = Enumerable.Range(0, 130).Select(i => $"text number {i}").ToList();

        var vectors = encoder.Encode(texts);
        Assert.Equal([64, 64, 2], server.Requests.Select(r => r.Body.GetProperty("input").GetArrayLength()));
        Assert.All(server.Requests, r => Assert.Equal("/v1/embeddings", r.Path));
        Assert.All(server.Requests, r => Assert.Equal("embed-small", r.Body.GetProperty("model").GetString()));
        Assert.Equal(texts.Select(StubServer.Embedding), vectors);
        Assert.Equal(3, encoder.Dimension);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public void CacheAvoidsRepeatedRequests()
    {
        using var server = new StubServer();
        using var dir = new TempDir();
        string cache = CachedTextEncoder.PathNextTo(dir.File("aal.json"));
        Assert.Equal(dir.File("aal.embeddings.cache"), cache);

        var first = new CachedTextEncoder(new OpenAiEmbeddingEncoder(Client(server), "e"), cache);
        first.Encode(["alpha", "beta", "alpha"]);
        Assert.Single(server.Requests);
        Assert.Equal(2, server.Requests[0].Body.GetProperty("input").GetArrayLength());

        var second = new CachedTextEncoder(new OpenAiEmbeddingEncoder(Client(server), "e"), cache);
        var vectors = second.Encode(["beta", "alpha"]);
        Assert.Single(server.Requests);
        Assert.Equal((2, 0), (second.Hits, second.Misses));
        Assert.Equal([StubServer.Embedding("beta"), StubServer.Embedding("alpha")], vectors);

        // Another model is another key: asked, not served from the first model's entries.
        new CachedTextEncoder(new OpenAiEmbeddingEncoder(Client(server), "other"), cache).Encode(["alpha"]);
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public void CorruptCacheIsReportedAndRebuilt()
    {
        using var dir = new TempDir();
        string cache = dir.File("x.embeddings.cache");
        File.WriteAllBytes(cache, "SSTXTC01\u0005\0\0\0garbage"u8.ToArray());
        var warnings = new List<string>();
        var encoder = new CachedTextEncoder(new HashingTextEncoder(16), cache, warnings.Add);
        Assert.Contains("unreadable", Assert.Single(warnings));

        var vector = encoder.Encode(["left frontal gyrus"]);
        Assert.Equal(new HashingTextEncoder(16).Encode(["left frontal gyrus"]), vector);
        var reread = new CachedTextEncoder(new HashingTextEncoder(16), cache, warnings.Add);
        reread.Encode(["left frontal gyrus"]);
        Assert.Single(warnings);
        Assert.Equal(1, reread.Hits);
    }

    [Fact]
    public void HashingEncoderIsDeterministicNormalisedAndLexical()
    {
        var encoder = new HashingTextEncoder();
        Assert.Equal(("hashing-v1:256", 256), (encoder.Id, encoder.Dimension));
        var v = encoder.Encode(["left frontal gyrus", "right frontal gyrus", "cerebellum vermis", ""]);

        // Frozen once: a change here changes every cached and trained-on vector.
        float[] expected = [0f, 0.1543f, 0f, 0f, 0f, 0f, -0.1543f, 0f, 0f, 0f, -0.1543f, 0f, 0f, 0f, 0f, 0f];
        Assert.Equal(expected, v[0][..16].Select(x => MathF.Round(x, 5)));
        Assert.Equal(v[0], new HashingTextEncoder().Embed("Left  FRONTAL gyrus!"));

        for (int i = 0; i < 3; i++) Assert.Equal(1.0, Math.Sqrt(v[i].Sum(x => (double)x * x)), 5);
        Assert.All(v[3], x => Assert.Equal(0f, x));
        static double Dot(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();
        Assert.True(Dot(v[0], v[1]) > 0.3, $"left/right frontal gyrus: {Dot(v[0], v[1])}");
        Assert.True(Dot(v[0], v[1]) > Dot(v[0], v[2]) + 0.3, $"{Dot(v[0], v[1])} vs {Dot(v[0], v[2])}");
    }

    [Fact]
    public void FactoryReadsSpecs()
    {
        Assert.Equal("hashing-v1:256", TextEncoders.Create("hashing").Id);
        Assert.Equal(512, TextEncoders.Create("hashing:512").Dimension);
        var openai = Assert.IsType<OpenAiEmbeddingEncoder>(TextEncoders.Create("openai:text-embedding-3-small@http://localhost:8000"));
        Assert.Equal("openai:text-embedding-3-small@http://localhost:8000/v1/", openai.Id);
        foreach (var bad in new[] { "bert", "hashing:0", "hashing:x", "openai:model", "openai:@http://x", "openai:m@not a url" })
            Assert.Throws<ArgumentException>(() => TextEncoders.Create(bad));
    }

    // ---- segsam describe ----

    /// <summary>Runs `segsam describe` in process with its output captured.</summary>
    internal static (int Code, string Out, string Err) Describe(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var parse = DescribeCommand.Create().Parse(args);
        Assert.Empty(parse.Errors);
        int code = parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void DescribeCommandWritesAndReusesTheFile()
    {
        using var server = new StubServer();
        using var dir = new TempDir();
        File.WriteAllText(dir.File("names.txt"), "# AAL subset\nPrecentral_L\n\nPrecentral_R\n");
        Directory.CreateDirectory(dir.File("images"));
        File.WriteAllBytes(Path.Combine(dir.File("images"), "Precentral_R.png"), [0x89, 0x50]);
        string[] common = ["--endpoint", server.Url + "/v1", "--model", "stub", "--key-env", "SEGSAM_TEST_UNSET_KEY", "--out", dir.File("out.json")];

        var run = Describe([.. common, "--categories", dir.File("names.txt"), "--modality", "brain T1-weighted MRI axial slice", "--images", dir.File("images")]);
        Assert.Equal(ExitCodes.Success, run.Code);
        Assert.Contains("[1/2] Precentral_L: described", run.Out);
        Assert.Contains("[2/2] Precentral_R: described (image attached)", run.Out);
        Assert.Equal(JsonValueKind.String, server.Requests[0].Body.GetProperty("messages")[0].GetProperty("content").ValueKind);
        Assert.Equal(JsonValueKind.Array, server.Requests[1].Body.GetProperty("messages")[0].GetProperty("content").ValueKind);
        var saved = CategoryDescriptions.Load(dir.File("out.json"));
        Assert.Equal("Precentral_L texture.", saved["Precentral_L"].Texture);

        // The output file itself lists the names; nothing is asked again.
        var again = Describe([.. common, "--categories", dir.File("out.json"), "--json"]);
        Assert.Equal(2, server.Requests.Count);
        using var json = JsonDocument.Parse(again.Out);
        Assert.Equal(0, json.RootElement.GetProperty("generated").GetInt32());
        Assert.Equal("cached", json.RootElement.GetProperty("categories")[1].GetProperty("status").GetString());
        Assert.Contains("[2/2] Precentral_R: already described", again.Err);

        Describe([.. common, "--categories", dir.File("names.txt"), "--force"]);
        Assert.Equal(4, server.Requests.Count);
    }

    [Fact]
    public void DescribeCommandRejectsBadArguments()
    {
        Assert.NotEmpty(DescribeCommand.Create().Parse(["--categories", "c.txt", "--endpoint", "http://localhost:1"]).Errors);
        using var dir = new TempDir();
        File.WriteAllText(dir.File("names.txt"), "Liver\n");
        string[] ok = ["--categories", dir.File("names.txt"), "--model", "m"];
        Assert.Throws<UsageException>(() => Describe([.. ok, "--endpoint", "localhost:8000"]));
        Assert.Throws<UsageException>(() => Describe([.. ok, "--endpoint", "http://localhost:1", "--timeout", "0"]));
        Assert.Throws<FileNotFoundException>(() => Describe(["--categories", dir.File("none.txt"), "--model", "m", "--endpoint", "http://localhost:1"]));
        File.WriteAllText(dir.File("twice.txt"), "Liver\nLiver\n");
        var e = Assert.Throws<InvalidDataException>(() => Describe(["--categories", dir.File("twice.txt"), "--model", "m", "--endpoint", "http://localhost:1"]));
        Assert.Contains("'Liver' is listed twice", e.Message);
    }

    /// <summary>
    /// A local OpenAI-compatible server: /v1/chat/completions answers the SEG-SAM format for the
    /// class named in the question, /v1/embeddings a 3-number vector per input (in reverse order,
    /// with indices, as a server may). Every request is recorded.
    /// </summary>
    internal sealed class StubServer : IDisposable
    {
        public sealed record Request(string Path, string? Authorization, JsonElement Body);

        readonly HttpListener _listener = new();
        readonly List<Request> _requests = [];
        readonly Thread _loop;

        public StubServer()
        {
            int port = FreePort();
            _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            _listener.Start();
            Url = $"http://127.0.0.1:{port}";
            _loop = new Thread(Serve) { IsBackground = true };
            _loop.Start();
        }

        public string Url { get; }

        public Func<Request, (int Status, string Body)> Respond { get; set; } = Default;

        public IReadOnlyList<Request> Requests
        {
            get { lock (_requests) return _requests.ToList(); }
        }

        public static int FreePort()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            return port;
        }

        public static (int, string) Default(Request request) => request.Path switch
        {
            "/v1/chat/completions" => (200, Chat(AnswerFor(CategoryIn(Question(request.Body))))),
            "/v1/embeddings" => (200, JsonSerializer.Serialize(new
            {
                @object = "list",
                data = request.Body.GetProperty("input").EnumerateArray()
                    .Select((t, i) => new { @object = "embedding", index = i, embedding = Embedding(t.GetString()!) })
                    .Reverse(),
            })),
            _ => (404, "{\"error\":{\"message\":\"no such route\"}}"),
        };

        public static string Chat(string content) =>
            JsonSerializer.Serialize(new { choices = new[] { new { index = 0, message = new { role = "assistant", content } } } });

        public static float[] Embedding(string text) => [text.Length, text.Sum(c => c) % 1000, text[^1]];

        static string Question(JsonElement body)
        {
            var content = body.GetProperty("messages")[0].GetProperty("content");
            return content.ValueKind == JsonValueKind.String ? content.GetString()! : content[0].GetProperty("text").GetString()!;
        }

        void Serve()
        {
            while (true)
            {
                HttpListenerContext context;
                try { context = _listener.GetContext(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
                using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                var request = new Request(context.Request.Url!.AbsolutePath, context.Request.Headers["Authorization"], JsonDocument.Parse(reader.ReadToEnd()).RootElement.Clone());
                lock (_requests) _requests.Add(request);
                var (status, body) = Respond(request);
                byte[] bytes = Encoding.UTF8.GetBytes(body);
                context.Response.StatusCode = status;
                context.Response.ContentType = "application/json";
                context.Response.ContentLength64 = bytes.Length;
                context.Response.OutputStream.Write(bytes);
                context.Response.Close();
            }
        }

        public void Dispose()
        {
            // Close alone: .NET's managed HttpListener unregisters its port in both Stop and Close, and
            // the second time binds the port again to look it up, which fails ("Address already in
            // use") when another test has taken that port meanwhile.
            _listener.Close();
            _loop.Join(TimeSpan.FromSeconds(5));
        }
    }
}
