namespace SegSam.Imaging.Hdf5;

/// <summary>How the HDF5 reader writes shapes and paths in its messages.</summary>
internal static class Hdf5Text
{
    /// <summary>"100000×100000×1000".</summary>
    public static string Shape(IEnumerable<long> dims) => string.Join("×", dims);

    /// <summary>A name as the user knows it: "image", "group/image" (no leading slash).</summary>
    public static string Name(string path) => path.Trim('/');
}
