using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SegSam.Text;

/// <summary>
/// Posts JSON to an OpenAI-compatible HTTP API (OpenAI itself, vLLM, llama.cpp, Ollama, LM Studio…)
/// and returns the JSON answer. The endpoint may be given with or without its trailing "/v1":
/// "http://localhost:8000" and "http://localhost:8000/v1" both post to
/// "http://localhost:8000/v1/chat/completions"; a path that does not end in "/v1" gets "/v1" appended.
/// The API key is read from an environment variable when the client is created; when that
/// variable is unset or empty no Authorization header is sent (local servers need none).
/// HTTP 429 and 5xx answers are retried with exponential backoff (or the server's Retry-After).
/// </summary>
public sealed class OpenAiClient
{
    public const string DefaultKeyVariable = "OPENAI_API_KEY";

    // One pooled connection handler for the process; timeouts are per request (see Timeout).
    static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        Timeout = System.Threading.Timeout.InfiniteTimeSpan,
    };

    readonly string? _key;

    public OpenAiClient(string endpoint, string keyVariable = DefaultKeyVariable)
    {
        if (string.IsNullOrWhiteSpace(keyVariable)) throw new ArgumentException("the API-key environment variable name must not be empty");
        BaseUri = ApiBase(endpoint);
        KeyVariable = keyVariable;
        _key = Environment.GetEnvironmentVariable(keyVariable) is { Length: > 0 } key ? key : null;
    }

    /// <summary>The API root, always ending in "/v1/".</summary>
    public Uri BaseUri { get; }

    /// <summary>The environment variable the key was read from.</summary>
    public string KeyVariable { get; }

    public bool HasKey => _key is not null;

    /// <summary>How long one request may take, answer included.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Retries after a 429 or 5xx answer; the total attempts are one more.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The wait before the first retry; it doubles for each further one.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Posts <paramref name="body"/> to <c>BaseUri + path</c> (e.g. "chat/completions") and returns the parsed answer.</summary>
    public JsonElement Post(string path, JsonObject body)
    {
        var url = new Uri(BaseUri, path);
        string json = body.ToJsonString();
        for (int attempt = 0; ; attempt++)
        {
            var (status, reason, text, retryAfter) = Send(url, json);
            if ((int)status is >= 200 and < 300) return ParseJson(url, text);

            bool transient = status == HttpStatusCode.TooManyRequests || (int)status >= 500;
            if (transient && attempt < MaxRetries)
            {
                Thread.Sleep(retryAfter ?? RetryDelay * Math.Pow(2, attempt));
                continue;
            }
            string attempts = attempt > 0 ? $" (after {attempt + 1} attempts)" : "";
            throw new ServiceException($"{url} answered HTTP {(int)status} {reason}{attempts}: {ErrorMessage(text)}");
        }
    }

    /// <summary>The API root for an endpoint URL, with "/v1/" appended unless the path already ends in "/v1".</summary>
    public static Uri ApiBase(string endpoint)
    {
        if (!Uri.TryCreate(endpoint?.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"endpoint '{endpoint}' is not an http(s) URL (e.g. https://api.openai.com/v1 or http://localhost:8000)");
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
            throw new ArgumentException($"endpoint '{endpoint}' must not have a query or fragment; give the API root, e.g. http://localhost:8000/v1");
        string path = uri.AbsolutePath.TrimEnd('/');
        if (!path.EndsWith("/v1", StringComparison.OrdinalIgnoreCase)) path += "/v1";
        return new UriBuilder(uri) { Path = path + "/" }.Uri;
    }

    (HttpStatusCode Status, string Reason, string Body, TimeSpan? RetryAfter) Send(Uri url, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (_key is not null) request.Headers.Authorization = new("Bearer", _key);
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            using var response = Http.Send(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
            using var reader = new StreamReader(response.Content.ReadAsStream(timeout.Token), Encoding.UTF8);
            return (response.StatusCode, response.ReasonPhrase ?? "", reader.ReadToEnd(), RetryAfter(response));
        }
        catch (HttpRequestException e)
        {
            throw new ServiceException($"cannot reach {url}: {e.Message}", e);
        }
        catch (OperationCanceledException e) when (timeout.IsCancellationRequested)
        {
            throw new ServiceException($"{url} did not answer within {Timeout.TotalSeconds:0.#} s", e);
        }
    }

    // A server's own wait hint, capped so a misbehaving server cannot stall a run for hours.
    static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var hint = response.Headers.RetryAfter;
        var wait = hint?.Delta ?? (hint?.Date is { } date ? date - DateTimeOffset.UtcNow : null);
        return wait is { } w ? TimeSpan.FromTicks(Math.Clamp(w.Ticks, 0, TimeSpan.FromSeconds(60).Ticks)) : null;
    }

    static JsonElement ParseJson(Uri url, string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new ServiceException($"{url} answered with a body that is not JSON: {Preview(text)}");
        }
    }

    /// <summary>The error message of an error answer: OpenAI's error.message, else a "message"/"detail" field, else the body.</summary>
    static string ErrorMessage(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("error", out var error))
                {
                    if (error.ValueKind == JsonValueKind.String) return error.GetString()!;
                    if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String) return m.GetString()!;
                }
                foreach (var field in (string[])["message", "detail"])
                    if (root.TryGetProperty(field, out var m) && m.ValueKind == JsonValueKind.String) return m.GetString()!;
            }
        }
        catch (JsonException)
        {
            // Not JSON (an HTML error page, a proxy's text): the body itself is the message.
        }
        return body.Length == 0 ? "(empty body)" : Preview(body);
    }

    internal static string Preview(string text)
    {
        string flat = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= 300 ? flat : flat[..300] + "…";
    }
}
