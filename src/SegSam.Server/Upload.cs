namespace SegSam.Server;

/// <summary>
/// Streams a request body to a temporary file of the server's own naming: the client's file name
/// only chooses the format (its suffix), never a path. Too large is 413, an unknown suffix 415.
/// </summary>
public static class Upload
{
    /// <summary>A zip of a DICOM series (unpacked flat by <see cref="SegSam.IO.FlatZip"/>).</summary>
    public const string ZipSuffix = ".zip";

    /// <summary>The formats accepted: single files, and a zipped DICOM series (formats needing a second file are not, yet).</summary>
    public static readonly string[] Suffixes = [".nii.gz", ".nii", ".mha", ".nrrd", ".png", ".jpg", ".jpeg", ".npy", ZipSuffix];

    /// <summary>The suffix of <paramref name="name"/> the server accepts; 415 otherwise.</summary>
    public static string SuffixOf(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new ApiProblem(StatusCodes.Status415UnsupportedMediaType, $"name the file (?name=scan.nii.gz) so its format is known; accepted: {string.Join(", ", Suffixes)}");
        string lower = name.ToLowerInvariant();
        return Suffixes.FirstOrDefault(lower.EndsWith)
            ?? throw new ApiProblem(StatusCodes.Status415UnsupportedMediaType, $"{name}: unsupported upload type; accepted: {string.Join(", ", Suffixes)}");
    }

    /// <summary>Copies the body to a new file in <paramref name="folder"/>, stopping with 413 past <paramref name="maxBytes"/>.</summary>
    public static async Task<string> SaveAsync(HttpRequest request, string suffix, long maxBytes, string folder, CancellationToken cancel)
    {
        if (request.ContentLength > maxBytes) throw TooLarge(maxBytes);
        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = maxBytes + 1;
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, Guid.NewGuid().ToString("N") + suffix);
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            var buffer = new byte[1 << 16];
            long total = 0;
            int read;
            while ((read = await request.Body.ReadAsync(buffer, cancel).ConfigureAwait(false)) > 0)
            {
                total += read;
                if (total > maxBytes) throw TooLarge(maxBytes);
                await file.WriteAsync(buffer.AsMemory(0, read), cancel).ConfigureAwait(false);
            }
            return path;
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    static ApiProblem TooLarge(long maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, $"the upload is larger than the server's limit of {maxBytes} bytes (--max-upload-mb)");
}
