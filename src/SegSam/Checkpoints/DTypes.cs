using TorchSharp;

namespace SegSam.Checkpoints;

/// <summary>Maps the element types we support between TorchSharp, PyTorch storage classes and safetensors codes.</summary>
internal static class DTypes
{
    private sealed record Entry(torch.ScalarType Type, string Name, string SafetensorsCode, string StorageClass, int Size);

    private static readonly Entry[] Entries =
    {
        new(torch.ScalarType.Float32, "float32", "F32", "FloatStorage", 4),
        new(torch.ScalarType.Float16, "float16", "F16", "HalfStorage", 2),
        new(torch.ScalarType.BFloat16, "bfloat16", "BF16", "BFloat16Storage", 2),
        new(torch.ScalarType.Float64, "float64", "F64", "DoubleStorage", 8),
        new(torch.ScalarType.Int64, "int64", "I64", "LongStorage", 8),
        new(torch.ScalarType.Int32, "int32", "I32", "IntStorage", 4),
        new(torch.ScalarType.Int16, "int16", "I16", "ShortStorage", 2),
        new(torch.ScalarType.Int8, "int8", "I8", "CharStorage", 1),
        new(torch.ScalarType.Byte, "uint8", "U8", "ByteStorage", 1),
        new(torch.ScalarType.Bool, "bool", "BOOL", "BoolStorage", 1),
    };

    public static bool TryFromStorageClass(string className, out torch.ScalarType type)
    {
        foreach (var e in Entries)
            if (e.StorageClass == className) { type = e.Type; return true; }
        type = default;
        return false;
    }

    public static bool TryFromSafetensorsCode(string code, out torch.ScalarType type)
    {
        foreach (var e in Entries)
            if (e.SafetensorsCode == code) { type = e.Type; return true; }
        type = default;
        return false;
    }

    public static bool IsSupported(torch.ScalarType type) => Array.Exists(Entries, e => e.Type == type);

    public static string Name(torch.ScalarType type) => Find(type).Name;

    public static string SafetensorsCode(torch.ScalarType type) => Find(type).SafetensorsCode;

    public static int ElementSize(torch.ScalarType type) => Find(type).Size;

    private static Entry Find(torch.ScalarType type) =>
        Array.Find(Entries, e => e.Type == type)
        ?? throw new NotSupportedException($"Tensor element type {type} is not supported in checkpoints.");
}
