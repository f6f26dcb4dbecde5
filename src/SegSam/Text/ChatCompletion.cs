using System.Text.Json;
using System.Text.Json.Nodes;

namespace SegSam.Text;

/// <summary>
/// The two ends of one OpenAI-style chat completion shared by the description generators: the
/// request (one user message, temperature 0, an optional image as a base64 data URL) and the
/// answer's text.
/// </summary>
internal static class ChatCompletion
{
    /// <summary>
    /// The request body: the question alone as a string, or, with an image, a list of a text part
    /// and an <c>image_url</c> part holding <c>data:MEDIA;base64,…</c>.
    /// </summary>
    public static JsonObject Request(string model, string question, byte[]? image = null, string mediaType = "image/png")
    {
        JsonNode content = image is null
            ? question
            : new JsonArray(
                new JsonObject { ["type"] = "text", ["text"] = question },
                new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = DataUrl(image, mediaType) } });
        return new JsonObject
        {
            ["model"] = model,
            ["temperature"] = 0,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = content }),
        };
    }

    public static string DataUrl(byte[] image, string mediaType) => $"data:{mediaType};base64,{Convert.ToBase64String(image)}";

    /// <summary>choices[0].message.content: a string, or (some servers) a list of text parts. <paramref name="what"/> names the request in errors, e.g. "category 'Liver'".</summary>
    public static string AnswerText(JsonElement response, string what)
    {
        if (response.ValueKind == JsonValueKind.Object
            && response.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0
            && choices[0].TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object
            && message.TryGetProperty("content", out var content))
        {
            if (content.ValueKind == JsonValueKind.String) return content.GetString()!;
            if (content.ValueKind == JsonValueKind.Array)
                return string.Concat(content.EnumerateArray()
                    .Where(p => p.ValueKind == JsonValueKind.Object && p.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                    .Select(p => p.GetProperty("text").GetString()));
        }
        throw new ServiceException($"the chat answer for {what} has no choices[0].message.content: {OpenAiClient.Preview(response.GetRawText())}");
    }
}
