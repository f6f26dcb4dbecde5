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
        BadHttpRequestException b => (b.StatusCode, b.Message),
        ArgumentException a => (StatusCodes.Status400BadRequest, a.ParamName is { } name ? a.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : a.Message),
        FileNotFoundException or DirectoryNotFoundException or InvalidDataException or CheckpointFormatException or EndOfStreamException
            or SegSam.Imaging.Dicom.DicomFormatException
            => (StatusCodes.Status422UnprocessableEntity, e.Message),
        System.Text.Json.JsonException => (StatusCodes.Status400BadRequest, "the request body is not valid JSON for this endpoint"),
        _ => (StatusCodes.Status500InternalServerError, "internal error; the server's log has the details"),
    };
}
