using System.Text.Json;
using System.Text.Json.Nodes;

namespace SegSam.Text;

/// <summary>
/// Text embeddings from an OpenAI-compatible <c>POST {endpoint}/embeddings</c> (SEG-SAM used
/// OpenAI's embedding service), at most <see cref="BatchSize"/> texts per request. The dimension
/// is the one requested (sent as "dimensions", which text-embedding-3 models honour) or else
/// learned from the first answer; reading <see cref="Dimension"/> before any
/// <see cref="Encode"/> costs one request.
/// </summary>
public sealed class OpenAiEmbeddingEncoder : ITextEncoder
{
    public const int MaxBatchSize = 64;

    readonly OpenAiClient _client;
    readonly string _model;
    readonly int? _requested;
    int? _dimension;

    public OpenAiEmbeddingEncoder(OpenAiClient client, string model, int? dimensions = null)
    {
        if (string.IsNullOrWhiteSpace(model)) throw new ArgumentException("the embedding model name must not be empty", nameof(model));
        if (dimensions is < 1) throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions, "the embedding dimension must be positive");
        _client = client;
        _model = model;
        _requested = _dimension = dimensions;
    }

    public int BatchSize
    {
        get;
        init => field = value is >= 1 and <= MaxBatchSize ? value : throw new ArgumentOutOfRangeException(nameof(BatchSize), value, $"the batch size must be in 1…{MaxBatchSize}");
    } = MaxBatchSize;

    public string Id => $"openai:{_model}@{_client.BaseUri}" + (_requested is { } d ? $"#{d}" : "");

    public int Dimension => _dimension ?? Encode(["dimension probe"])[0].Length;

    public float[][] Encode(IReadOnlyList<string> texts)
    {
        var result = new float[texts.Count][];
        for (int start = 0; start < texts.Count; start += BatchSize)
        {
            int count = Math.Min(BatchSize, texts.Count - start);
            var body = new JsonObject
            {
                ["model"] = _model,
                ["input"] = new JsonArray(texts.Skip(start).Take(count).Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
            };
            if (_requested is { } d) body["dimensions"] = d;
            var vectors = Vectors(_client.Post("embeddings", body), count);
            vectors.CopyTo(result, start);
        }
        return result;
    }

    /// <summary>data[i].embedding, put in input order by data[i].index (servers may reorder).</summary>
    float[][] Vectors(JsonElement response, int count)
    {
        if (response.ValueKind != JsonValueKind.Object || !response.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            throw Bad("has no \"data\" list", response);
        if (data.GetArrayLength() != count) throw Bad($"has {data.GetArrayLength()} embeddings for {count} inputs", response);
        var vectors = new float[count][];
        int position = 0;
        foreach (var item in data.EnumerateArray())
        {
            int index = item.TryGetProperty("index", out var ix) && ix.TryGetInt32(out int i) ? i : position;
            if (index < 0 || index >= count || vectors[index] is not null) throw Bad($"has a missing or repeated index {index}", response);
            if (!item.TryGetProperty("embedding", out var embedding) || embedding.ValueKind != JsonValueKind.Array || embedding.GetArrayLength() == 0)
                throw Bad($"item {position} has no \"embedding\" list of numbers", response);
            var vector = embedding.EnumerateArray().Select(v => v.GetSingle()).ToArray();
            _dimension ??= vector.Length;
            if (vector.Length != _dimension) throw Bad($"has a {vector.Length}-long embedding where {_dimension} was expected", response);
            vectors[index] = vector;
            position++;
        }
        return vectors;
    }

    ServiceException Bad(string what, JsonElement response) =>
        new($"the embeddings answer of {_client.BaseUri}embeddings (model {_model}) {what}: {OpenAiClient.Preview(response.GetRawText())}");
}
