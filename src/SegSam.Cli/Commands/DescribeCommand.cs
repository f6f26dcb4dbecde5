using System.CommandLine;
using System.Text.Json;
using SegSam.Text;
using SegSam.IO;

namespace SegSam.Cli.Commands;

/// <summary>
/// `segsam describe`: asks an OpenAI-compatible chat endpoint for SEG-SAM category descriptions,
/// or with --per-image for PG-SAM's one description per slice, and caches them in a JSON file.
/// </summary>
public static class DescribeCommand
{
    public static Command Create()
    {
        var categories = new Option<string?>("--categories") { Description = "Category names: a text file (one per line; blank lines and # comments skipped) or a descriptions JSON whose names are used (required without --per-image)" };
        var perImage = new Option<bool>("--per-image") { Description = "Describe each slice (PG-SAM's per-image texts) instead of each category: the slices of --data or the pictures of --images; writes a JSON object slice id → text" };
        var data = new Option<string?>("--data") { Description = "With --per-image: prepared data, one set (e.g. data/cache/atlas-128/train) or a dataset root (all its sets: train, test, …)" };
        var limit = new Option<int?>("--limit") { Description = "With --per-image: ask for at most N slices in this run (the rest on a later run)" };
        var endpoint = new Option<string>("--endpoint") { Description = "OpenAI-compatible API root, with or without /v1 (e.g. https://api.openai.com/v1, http://localhost:8000)", Required = true };
        var model = new Option<string>("--model") { Description = "Chat model name (e.g. gpt-4o)", Required = true };
        var keyEnv = new Option<string>("--key-env") { Description = "Environment variable holding the API key; unset or empty = no Authorization header", DefaultValueFactory = _ => OpenAiClient.DefaultKeyVariable };
        var modality = new Option<string?>("--modality") { Description = "Where the categories (or slices) are seen, put into the question (e.g. \"brain T1-weighted MRI axial slice\"); --per-image --data defaults to the dataset's modality" };
        var images = new Option<string?>("--images") { Description = "Folder of images. Categories: DIR/<name>.png, when present, is attached to that category's question. With --per-image: the slices to describe (PNG/JPEG; id = file name without extension)" };
        var output = new Option<string>("--out") { Description = "Descriptions JSON to write; categories (or slices) it already describes are not asked again", DefaultValueFactory = _ => "descriptions.json" };
        var timeout = new Option<double>("--timeout") { Description = "Seconds one request may take", DefaultValueFactory = _ => 120 };
        var force = new Option<bool>("--force") { Description = "Ask again for categories (or slices) the output file already describes" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON (progress goes to standard error)" };

        var command = new Command("describe", "Generate texture/shape/position descriptions of categories with an LLM (SEG-SAM's template, appendix 6.2), "
            + "or with --per-image one description per slice from a vision LLM (PG-SAM's per-image texts).")
        {
            categories, perImage, data, endpoint, model, keyEnv, modality, images, output, timeout, force, limit, json,
        };
        command.SetAction(parse =>
        {
            string modelName = parse.GetValue(model)!.Trim();
            if (modelName.Length == 0) throw new UsageException("--model must not be empty");
            double seconds = parse.GetValue(timeout);
            if (!(seconds > 0)) throw new UsageException($"--timeout must be a positive number of seconds, got {seconds}");
            OpenAiClient client;
            try
            {
                client = new OpenAiClient(parse.GetValue(endpoint)!, parse.GetValue(keyEnv)!) { Timeout = TimeSpan.FromSeconds(seconds) };
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }
            string? imageDir = parse.GetValue(images);
            string outPath = parse.GetValue(output)!;
            bool asJson = parse.GetValue(json);
            var stdout = parse.InvocationConfiguration.Output;
            var progressTo = asJson ? parse.InvocationConfiguration.Error : stdout;

            if (parse.GetValue(perImage))
            {
                if (parse.GetValue(categories) is not null) throw new UsageException("--categories does not apply to --per-image (it describes slices, not categories)");
                string? dataDir = parse.GetValue(data);
                if ((dataDir is null) == (imageDir is null)) throw new UsageException("--per-image needs exactly one of --data DIR (prepared slices) and --images DIR (PNG/JPEG pictures)");
                if (parse.GetValue(limit) is < 0) throw new UsageException($"--limit must not be negative, got {parse.GetValue(limit)}");
                var slices = dataDir is not null ? SliceImages.FromPreparedData(dataDir) : SliceImages.FromFolder(imageDir!);
                if (!client.HasKey) progressTo.WriteLine($"note: ${client.KeyVariable} is not set, so no Authorization header is sent");
                return PerImage(new SliceDescriptionGenerator(client, modelName) { Modality = parse.GetValue(modality) },
                    slices, outPath, parse.GetValue(force), parse.GetValue(limit), asJson, stdout, progressTo);
            }
            if (parse.GetValue(data) is not null || parse.GetValue(limit) is not null)
                throw new UsageException("--data and --limit apply to --per-image only");
            if (parse.GetValue(categories) is not { } categoriesPath) throw new UsageException("describe needs --categories F (or --per-image with --data or --images)");
            if (imageDir is not null && !Directory.Exists(imageDir)) throw new DirectoryNotFoundException($"--images folder {imageDir} not found");
            var names = ReadNames(categoriesPath);

            if (!client.HasKey) progressTo.WriteLine($"note: ${client.KeyVariable} is not set, so no Authorization header is sent");
            var generator = new DescriptionGenerator(client, modelName) { Modality = parse.GetValue(modality) };
            var steps = generator.Run(outPath, names, parse.GetValue(force),
                imageDir is null ? null : name => ImageFor(imageDir, name),
                step => progressTo.WriteLine($"[{step.Index + 1}/{step.Total}] {step.Category}: "
                    + (step.Status == DescriptionStatus.Cached ? "already described" : step.ImageAttached ? "described (image attached)" : "described")));

            int generated = steps.Count(s => s.Status == DescriptionStatus.Generated);
            if (asJson)
            {
                stdout.WriteLine(JsonSerializer.Serialize(new
                {
                    @out = outPath,
                    generated,
                    cached = steps.Count - generated,
                    categories = steps.Select(s => new { name = s.Category, status = s.Status.ToString().ToLowerInvariant(), image = s.ImageAttached }),
                }, new JsonSerializerOptions { WriteIndented = true }));
            }
            else
            {
                stdout.WriteLine(generated > 0
                    ? $"wrote {outPath}: {generated} described, {steps.Count - generated} already there"
                    : $"{outPath} already describes all {steps.Count} categories (use --force to ask again)");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>--per-image: describes the slices, one progress line each, then a summary (or the JSON result).</summary>
    static int PerImage(SliceDescriptionGenerator generator, IReadOnlyList<SliceImage> slices, string outPath, bool force, int? limit,
        bool asJson, TextWriter stdout, TextWriter progressTo)
    {
        var run = generator.Run(outPath, slices, force, limit,
            step => progressTo.WriteLine($"[{step.Index + 1}/{step.Total}] {step.Id}: "
                + (step.Status == DescriptionStatus.Cached ? "already described" : "described")));
        if (asJson)
        {
            stdout.WriteLine(JsonSerializer.Serialize(new
            {
                @out = outPath,
                generated = run.Generated,
                cached = run.Cached,
                remaining = run.Remaining,
                slices = run.Steps.Select(s => new { id = s.Id, status = s.Status.ToString().ToLowerInvariant() }),
            }, new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            string left = run.Remaining > 0 ? $"; {run.Remaining} left for a later run (--limit)" : "";
            stdout.WriteLine(run.Generated > 0
                ? $"wrote {outPath}: {run.Generated} slices described, {run.Cached} already there{left}"
                : run.Remaining > 0
                    ? $"nothing asked: {run.Cached} slices already described{left}"
                    : $"{outPath} already describes all {run.Cached} slices (use --force to ask again)");
        }
        return ExitCodes.Success;
    }

    /// <summary>Names from a descriptions JSON (its categories, in order) or from a text file, one per line.</summary>
    static List<string> ReadNames(string path)
    {
        string text = InputFile.ReadAllText(path);
        var names = text.TrimStart().StartsWith('{')
            ? CategoryDescriptions.Load(path).Names.ToList()
            : text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        if (names.Count == 0) throw new InvalidDataException($"{path}: no category names (expected one per line, or a descriptions JSON)");
        if (names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InvalidDataException($"{path}: category '{twice.Key}' is listed twice");
        return names;
    }

    static byte[]? ImageFor(string dir, string name)
    {
        string path = Path.Combine(dir, name + ".png");
        return File.Exists(path) ? InputFile.ReadAllBytes(path) : null;
    }
}
