using PureHDF;
using PureHDF.VOL.Native;

namespace SegSam.Imaging;

/// <summary>
/// Reads numeric datasets from HDF5 files (PureHDF), such as TransUNet's Synapse test volumes
/// (case0001.npy.h5 with "image" D×H×W float32 and "label" D×H×W uint8), as arrays in C order.
/// </summary>
public static class Hdf5File
{
    /// <summary>The paths of every dataset in the file ("image", "group/name"), depth first.</summary>
    public static IReadOnlyList<string> ListDatasets(string path)
    {
        using var file = Open(path);
        var names = new List<string>();
        try
        {
            Collect(file, "", names);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or InvalidDataException))
        {
            throw new InvalidDataException($"{path}: cannot read the HDF5 structure: {e.Message}", e);
        }
        return names;
    }

    /// <summary>One dataset (a path such as "image" or "/group/image") as an array of its own element type.</summary>
    public static NpyArray ReadDataset(string path, string name)
    {
        using var file = Open(path);
        string key = name.Trim('/');
        try
        {
            if (key.Length == 0 || !file.LinkExists(key)) throw Missing(file, path, name);
            var dataset = file.Dataset(key);
            var shape = dataset.Space.Dimensions.Select(d => checked((long)d)).ToArray();
            var type = dataset.Type;
            return (type.Class, type.Size, type.Class == H5DataTypeClass.FixedPoint && type.FixedPoint.IsSigned) switch
            {
                (H5DataTypeClass.FloatingPoint, 4, _) => NpyArray.From(dataset.Read<float[]>(), shape),
                (H5DataTypeClass.FloatingPoint, 8, _) => NpyArray.From(dataset.Read<double[]>(), shape),
                (H5DataTypeClass.FixedPoint, 1, false) => NpyArray.From(dataset.Read<byte[]>(), shape),
                (H5DataTypeClass.FixedPoint, 1, true) => NpyArray.From(dataset.Read<sbyte[]>(), shape),
                (H5DataTypeClass.FixedPoint, 2, false) => NpyArray.From(dataset.Read<ushort[]>(), shape),
                (H5DataTypeClass.FixedPoint, 2, true) => NpyArray.From(dataset.Read<short[]>(), shape),
                (H5DataTypeClass.FixedPoint, 4, true) => NpyArray.From(dataset.Read<int[]>(), shape),
                (H5DataTypeClass.FixedPoint, 8, true) => NpyArray.From(dataset.Read<long[]>(), shape),
                _ => throw new InvalidDataException(
                    $"{path}: dataset '{name}' has unsupported type {Describe(type)} (supported: float32/64, int8/16/32/64, uint8/16)"),
            };
        }
        catch (Exception e) when (e is not (OutOfMemoryException or InvalidDataException))
        {
            throw new InvalidDataException($"{path}: cannot read dataset '{name}': {e.Message}", e);
        }
    }

    static InvalidDataException Missing(IH5Group root, string path, string name)
    {
        var names = new List<string>();
        Collect(root, "", names);
        return new InvalidDataException($"{path}: no dataset '{name}' (datasets: {(names.Count == 0 ? "none" : string.Join(", ", names))})");
    }

    static NativeFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        try
        {
            return H5File.OpenRead(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: not a readable HDF5 file: {e.Message}", e);
        }
    }

    static void Collect(IH5Group group, string prefix, List<string> names)
    {
        foreach (var child in group.Children())
        {
            string name = prefix + child.Name;
            if (child is IH5Dataset) names.Add(name);
            else if (child is IH5Group sub) Collect(sub, name + "/", names);
        }
    }

    static string Describe(IH5DataType type) => type.Class switch
    {
        H5DataTypeClass.FixedPoint => $"{(type.FixedPoint.IsSigned ? "int" : "uint")}{type.Size * 8}",
        H5DataTypeClass.FloatingPoint => $"float{type.Size * 8}",
        var c => $"{c} of {type.Size} bytes",
    };
}
