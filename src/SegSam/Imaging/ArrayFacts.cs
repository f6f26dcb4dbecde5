using System.Globalization;

namespace SegSam.Imaging;

/// <summary>One array of a NumPy or HDF5 file: its name, shape and element type.</summary>
public sealed record ArrayFacts(string Name, long[] Shape, string DataType)
{
    public static ArrayFacts Of(string name, NpyArray array) => new(name, array.Shape, array.DType.Name);

    public override string ToString() =>
        $"{(Name.Length == 0 ? "" : Name + " ")}{string.Join("×", Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)))} {DataType}";
}
