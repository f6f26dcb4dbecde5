using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using SegSam.Data.DicomWeb;

namespace SegSam.Server;

/// <summary>
/// Opening a volume from a PACS over DICOMweb. The server retrieves only from the service roots
/// it was started with (`segsam serve --dicomweb URL`, <see cref="ServerOptions.DicomWebServers"/>),
/// with the credentials of its own environment: a client names a study, never an arbitrary URL,
/// so the server cannot be used as an open proxy into the hospital network.
/// </summary>
public static class PacsApi
{
    public static void Map(RouteGroupBuilder api)
    {
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
                    $"{body.Study}/{series.SeriesInstanceUid}");
            }
            finally
            {
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            }
        });
    }

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
