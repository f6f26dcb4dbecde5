namespace SegSam.Text;

/// <summary>
/// Per-image descriptions for PG-SAM's prior: sends each slice, as an image, with
/// <see cref="SliceDescriptionPrompt"/> to an OpenAI-compatible chat endpoint (a vision model)
/// and keeps the answers in a JSON object slice id → text, the format
/// <see cref="SliceDescriptions.Load"/> reads. The file doubles as the cache: a slice already in
/// it is not asked again unless forced, and it is rewritten (atomically) after every answer, so
/// an interrupted run keeps what it already paid for and the next run resumes.
/// </summary>
public sealed class SliceDescriptionGenerator(OpenAiClient client, string model)
{
    /// <summary>What the slices are, e.g. "brain T1-weighted MRI axial slice"; when null, each slice's own (its dataset's) modality is used.</summary>
    public string? Modality { get; init; }

    /// <summary>Asks for one slice's description; errors name the slice.</summary>
    public string Describe(SliceImage slice)
    {
        var image = slice.Encode();
        string question = SliceDescriptionPrompt.Build(Modality ?? slice.Modality);
        string what = $"slice '{slice.Id}'";
        string answer;
        try
        {
            answer = ChatCompletion.AnswerText(client.Post("chat/completions", ChatCompletion.Request(model, question, image.Bytes, image.MediaType)), what);
        }
        catch (ServiceException e)
        {
            throw new ServiceException($"{what} ({slice.Source}): {e.Message}", e);
        }
        try
        {
            return SliceDescriptionPrompt.CleanAnswer(answer);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{what} ({slice.Source}): {e.Message}", e);
        }
    }

    /// <summary>
    /// Describes every slice of <paramref name="slices"/> that <paramref name="path"/> does not
    /// describe yet (all of them when <paramref name="force"/>), at most <paramref name="limit"/>
    /// of them when given, saving the file after each answer. Entries of the file for other slices
    /// are kept. A failure names the slice and says how many answers of this run were saved.
    /// </summary>
    public SliceDescriptionRun Run(string path, IReadOnlyList<SliceImage> slices, bool force = false, int? limit = null,
        Action<SliceDescriptionProgress>? progress = null)
    {
        if (limit is < 0) throw new ArgumentOutOfRangeException(nameof(limit), $"the limit must not be negative, got {limit}");
        if (Directory.Exists(path)) throw new IOException($"{path} is a folder; the descriptions go into a JSON file (e.g. {Path.Combine(path, "descriptions.json")})");
        if (slices.GroupBy(s => s.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InvalidDataException($"slice id '{twice.Key}' appears twice ({string.Join(", ", twice.Select(s => s.Source))})");
        var file = File.Exists(path) ? SliceDescriptions.ReadFile(path) : new OrderedDictionary<string, string>(StringComparer.Ordinal);

        var steps = new List<SliceDescriptionProgress>();
        int generated = 0, remaining = 0;
        for (int i = 0; i < slices.Count; i++)
        {
            var slice = slices[i];
            if (!force && file.TryGetValue(slice.Id, out string? known) && known.Trim().Length > 0)
            {
                Report(new(i, slices.Count, slice.Id, DescriptionStatus.Cached));
                continue;
            }
            if (generated == limit)
            {
                remaining++;
                continue;
            }
            string text;
            try
            {
                text = Describe(slice);
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                string kept = generated == 0
                    ? $"nothing was written to {path} in this run"
                    : $"the {generated} description(s) of this run are saved in {path}; run again to resume";
                string message = $"{e.Message} ({kept})";
                throw e is ServiceException ? new ServiceException(message, e) : new InvalidDataException(message, e);
            }
            file[slice.Id] = text;
            SliceDescriptions.Save(path, file);
            generated++;
            Report(new(i, slices.Count, slice.Id, DescriptionStatus.Generated));
        }
        return new SliceDescriptionRun(steps, remaining);

        void Report(SliceDescriptionProgress step)
        {
            steps.Add(step);
            progress?.Invoke(step);
        }
    }
}
