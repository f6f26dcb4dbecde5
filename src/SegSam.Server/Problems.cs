using SegSam.Checkpoints;

namespace SegSam.Server;

/// <summary>
/// The status of an exception, the way the CLI maps them to exit codes: bad arguments are 400,
/// bad input data 422, a failing PACS 502; anything else is a bug, answered 500 without its details.
/// </summary>
public static class Problems
{
    public static (int Status, string Detail) Of(Exception e) => e switch
    {
        ApiProblem p => (p.Status, p.Message),
        // The PACS behind the server: "not found" passes through; any other failure of it is a bad gateway.
        SegSam.Data.DicomWeb.DicomWebException { StatusCode: 404 } => (StatusCodes.Status404NotFound, e.Message),
        SegSam.Data.DicomWeb.DicomWebException => (StatusCodes.Status502BadGateway, e.Message),
        BadHttpRequestException { InnerException: System.Text.Json.JsonException j } b => (b.StatusCode, NotValidJson(j)),
        // The framework's words for a missing body suggest a fix to the server's code, not to the request.
        BadHttpRequestException b when b.Message.Contains("no body was provided", StringComparison.Ordinal)
            => (b.StatusCode, "the request has no body: this endpoint reads a JSON object (Content-Type: application/json)"),
        BadHttpRequestException b => (b.StatusCode, b.Message),
        ArgumentException a => (StatusCodes.Status400BadRequest, a.ParamName is { } name ? a.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : a.Message),
        FileNotFoundException or DirectoryNotFoundException or InvalidDataException or CheckpointFormatException or EndOfStreamException
            or SegSam.Imaging.Dicom.DicomFormatException
            => (StatusCodes.Status422UnprocessableEntity, e.Message),
        System.Text.Json.JsonException j => (StatusCodes.Status400BadRequest, NotValidJson(j)),
        _ => (StatusCodes.Status500InternalServerError, "internal error; the server's log has the details"),
    };

    /// <summary>Where the body stopped being what the endpoint reads: the JSON path and position, without .NET type names.</summary>
    static string NotValidJson(System.Text.Json.JsonException j)
    {
        var where = j.Path is { Length: > 0 } path
            ? $" at {path} (line {j.LineNumber + 1}, byte {j.BytePositionInLine + 1})"
            : "";
        var message = j.Message;
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0) cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut >= 0) message = message[..cut];
        var reason = JsonFailure.IsWrongValue(j) ? JsonFailure.WrongValue : message.TrimEnd('.');
        return $"the request body is not valid JSON for this endpoint{where}: {reason}";
    }
}
