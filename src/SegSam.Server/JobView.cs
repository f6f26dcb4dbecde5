using System.Text.Json.Serialization;

namespace SegSam.Server;

/// <summary>A job as GET /jobs/{id} answers it: state queued|running|done|failed|cancelled, progress 0..1, error or result once finished.</summary>
public sealed record JobView(
    string Id, string Kind, string VolumeId, string State, double Progress,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] object? Result);
