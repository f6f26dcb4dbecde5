using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using SegSam.Data.DicomWeb;

namespace SegSam.Server;

/// <summary>
/// Opening a volume from a PACS over DICOMweb. The server retrieves only from the service roots
/// it was started with (`segsam serve --dicomweb URL`, <see cref="ServerOptions.DicomWebServers"/>),
/// with the credentials of its own environment: a client names a study, never an arbitrary URL,
/// so the server cannot be used as an open proxy into the hospital network. Results go back
/// to the PACS a volume came from (POST /volumes/{id}/store).
/// </summary>
public static class PacsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        MapStore(api);
        api.MapPost("/volumes/dicomweb", (DicomWebRequest body, string? model, string? pgsamModel, string? modality, string? window,
            ServerOptions options, ModelSet models, VolumeRegistry registry) =>
        {
            var client = Client(options, body.Url);
            if (string.IsNullOrEmpty(body.Study)) throw new ApiProblem(StatusCodes.Status400BadRequest, "give the study: its Study Instance UID");
            var (prompted, promptFree) = VolumeApi.Models(models, model, pgsamModel);
            var sessionOptions = VolumeApi.SessionOptionsOf(options, modality, window);
            var series = client.ChooseSeries(body.Study, body.Series);
            string folder = Path.Combine(VolumeApi.UploadFolder, Guid.NewGuid().ToString("N"));
            try
            {
                var retrieval = client.RetrieveSeries(body.Study, series, folder);
                return VolumeApi.Open(registry, sessionOptions, options.MaxUnacceptedObjects, prompted, promptFree, retrieval.Folder,
                    $"{body.Study}/{series.SeriesInstanceUid}", client.BaseUri);
            }
            finally
            {
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            }
        });
    }

    /// <summary>
    /// POST /volumes/{id}/store: the volume's labels as DICOM objects (body "formats": "dicom-seg"
    /// (default) and/or "rtstruct"), stored with STOW-RS on the PACS the volume came from.
    /// </summary>
    internal static void MapStore(RouteGroupBuilder api) =>
        api.MapPost("/volumes/{id}/store", (string id, [Microsoft.AspNetCore.Mvc.FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] StoreRequest? body,
            ServerOptions options, VolumeRegistry registry) =>
        {
            using var lease = registry.Lease(id);
            var entry = lease.Entry;
            if (entry.Pacs is null)
                throw new ApiProblem(StatusCodes.Status409Conflict, $"volume {id} was not opened from a PACS (POST /volumes/dicomweb), so there is no PACS to store to; download its labels instead");
            var formats = (body?.Formats is { Length: > 0 } names ? names : ["dicom-seg"]).Select(Format).Distinct().ToList();
            var client = Client(options, entry.Pacs.ToString());
            string folder = Path.Combine(VolumeApi.UploadFolder, Guid.NewGuid().ToString("N"));
            try
            {
                var files = new List<string>();
                foreach (var (format, fileName) in formats)
                {
                    byte[] bytes;
                    try
                    {
                        bytes = entry.Session.EncodeDicom(format, entry.Model ?? entry.PromptFreeModel);
                    }
                    catch (InvalidDataException e)
                    {
                        // The message names the input by the server's scratch folder; the client knows the volume by its name.
                        throw new ApiProblem(StatusCodes.Status409Conflict, e.Message.Replace(entry.Session.Input.Source, entry.Name, StringComparison.Ordinal));
                    }
                    string file = Path.Combine(folder, fileName);
                    SegSam.IO.AtomicFile.WriteAllBytes(file, bytes);
                    files.Add(file);
                }
                var stored = client.Store(files);
                return Results.Ok(new { url = client.BaseUri.ToString(), stored = stored.StoredSopInstanceUids, files = files.Select(Path.GetFileName) });
            }
            finally
            {
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            }
        });

    static (SegSam.Inference.ExportFormats Format, string FileName) Format(string name) => name.ToLowerInvariant() switch
    {
        "dicom-seg" => (SegSam.Inference.ExportFormats.DicomSeg, SegSam.Inference.SegmentationSession.DicomSegFileName),
        "rtstruct" => (SegSam.Inference.ExportFormats.RtStruct, SegSam.Inference.SegmentationSession.RtStructFileName),
        _ => throw new ApiProblem(StatusCodes.Status400BadRequest, $"formats: \"dicom-seg\" or \"rtstruct\", got \"{name}\""),
    };

    /// <summary>A client of the PACS <paramref name="url"/> names, which must be one the server was started with (or the only one, when none is named).</summary>
    static DicomWebClient Client(ServerOptions options, string? url)
    {
        var allowed = options.DicomWebServers.Select(DicomWebClient.ServiceRoot).ToList();
        if (allowed.Count == 0)
            throw new ApiProblem(StatusCodes.Status403Forbidden, "this server opens no volumes from a PACS: start it with --dicomweb URL (the DICOMweb service root it may retrieve from)");
        Uri root;
        if (url is null)
        {
            if (allowed.Count > 1) throw new ApiProblem(StatusCodes.Status400BadRequest, $"give url: one of {string.Join(", ", allowed)}");
            root = allowed[0];
        }
        else
        {
            root = DicomWebClient.ServiceRoot(url);
            if (!allowed.Contains(root))
                throw new ApiProblem(StatusCodes.Status403Forbidden, $"url {url} is not a PACS this server was started with (--dicomweb); allowed: {string.Join(", ", allowed)}");
        }
        // A retrieved series is bounded like a zipped upload: what it may unpack to, and how many files.
        return new DicomWebClient(root.ToString(), options.DicomWebCredentials) { MaxSeriesBytes = options.MaxUnzippedBytes, MaxInstances = options.MaxZipEntries };
    }
}
