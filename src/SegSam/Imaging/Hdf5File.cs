using SegSam.Imaging.Hdf5;

namespace SegSam.Imaging;

/// <summary>
/// Reads numeric datasets from HDF5 files, such as TransUNet's Synapse test volumes
/// (case0001.npy.h5 with "image" D×H×W float32 and "label" D×H×W uint8), as arrays in C order,
/// with SegSam's own reader of the HDF5 file format (Hdf5/): it checks every address and size
/// against the file, never recurses on the file's structure and bounds every walk, so a hostile
/// file fails with an <see cref="InvalidDataException"/> naming the file instead of crashing,
/// hanging or exhausting memory. A missing file is <see cref="FileNotFoundException"/>.
/// </summary>
public static class Hdf5File
{
    /// <summary>The paths of every dataset in the file ("image", "group/name"), as h5py's visititems lists them.</summary>
    public static IReadOnlyList<string> ListDatasets(string path) => Guard(path, "cannot read the HDF5 structure", () =>
    {
        using var tree = Hdf5Tree.Open(path);
        return tree.ListDatasets();
    });

    /// <summary>One dataset (a path such as "image" or "/group/image") as an array of its own element type.</summary>
    public static NpyArray ReadDataset(string path, string name) => Guard(path, $"cannot read dataset '{name}'", () =>
    {
        using var tree = Hdf5Tree.Open(path);
        string key = Hdf5Text.Name(name);
        string why = "";
        var header = key.Length == 0 ? null : tree.Find(key, out why);
        if (header is null || !Hdf5Tree.IsDataset(header))
        {
            string problem = header is not null ? $"'{key}' is not a dataset" : why;
            var names = tree.ListDatasets();
            throw tree.Source.Fail($"no dataset '{name}' ({(problem.Length > 0 ? problem + "; " : "")}datasets: {(names.Count == 0 ? "none" : string.Join(", ", names))})");
        }
        return DatasetReader.Read(tree, header, key);
    });

    /// <summary>
    /// Runs a read, letting through the reader's own errors (which start with the path) and turning
    /// an overflow on absurd values, or an I/O error, into <see cref="InvalidDataException"/>.
    /// Anything else is a bug in the reader and surfaces as one (the fuzz tests look for them).
    /// </summary>
    static T Guard<T>(string path, string context, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
        {
            throw;
        }
        catch (OverflowException e)
        {
            throw new InvalidDataException($"{path}: {context}: a size or offset in the file is too large to compute with", e);
        }
        catch (IOException e)
        {
            throw new InvalidDataException($"{path}: {context}: {e.Message}", e);
        }
    }
}
