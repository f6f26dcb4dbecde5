using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using SegSam.Imaging;

namespace SegSam.Server;

/// <summary>
/// What the browser viewer needs beyond the API: the volume and its label volume on the session's
/// RAS+ grid (<see cref="Orientation.Canonical"/>, the grid slices are cut from and prompts refer
/// to), so that a voxel index in the viewer is the server's voxel index. NIfTI written by the
/// library's writer; nothing here computes.
/// </summary>
public static class ViewerApi
{
    public static void Map(RouteGroupBuilder api)
    {
        // The image as read (its own values, for window/level), on the RAS+ grid with its affine.
        api.MapGet("/volumes/{id}/view/image.nii.gz", (string id, VolumeRegistry registry) =>
        {
            using var lease = registry.Lease(id);
            return Nifti(Orientation.Canonical(lease.Entry.Session.Input).Canonical, "image.nii.gz");
        });

        // The label volume (prompt-free map and accepted objects) on the same RAS+ grid: uint8 while
        // the labels fit (a quarter of float32 for the browser to parse), else int16.
        api.MapGet("/volumes/{id}/view/labels.nii.gz", (string id, VolumeRegistry registry) =>
        {
            using var lease = registry.Lease(id);
            var labels = Orientation.Canonical(lease.Entry.Session.Labels()).Canonical;
            return Nifti(labels, "labels.nii.gz", labels.Data.All(v => v <= byte.MaxValue) ? "uint8" : "int16");
        });
    }

    /// <summary>
    /// <paramref name="volume"/> as .nii.gz: in <paramref name="dataType"/> (default: the type it was
    /// read from), or float32 when its values do not fit that type (a scaled integer image).
    /// </summary>
    static IResult Nifti(Volume volume, string name, string? dataType = null)
    {
        Directory.CreateDirectory(VolumeApi.UploadFolder);
        string path = Path.Combine(VolumeApi.UploadFolder, $"{Guid.NewGuid():N}.nii.gz");
        try
        {
            try
            {
                NiftiFile.Write(path, volume, dataType ?? volume.SourceDataType);
            }
            catch (ArgumentException)
            {
                NiftiFile.Write(path, volume, "float32");
            }
            return Results.File(File.ReadAllBytes(path), "application/gzip", name);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
