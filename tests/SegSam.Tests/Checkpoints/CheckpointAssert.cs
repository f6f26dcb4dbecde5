using System.Text.Json;
using SegSam.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Tests.Checkpoints;

/// <summary>Bit-exact comparisons of loaded tensors against expectations written by Python.</summary>
internal static class CheckpointAssert
{
    public static string DTypeName(ScalarType t) => t switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float64 => "float64",
        ScalarType.Int64 => "int64",
        ScalarType.Int32 => "int32",
        ScalarType.Int16 => "int16",
        ScalarType.Int8 => "int8",
        ScalarType.Byte => "uint8",
        ScalarType.Bool => "bool",
        _ => t.ToString(),
    };

    /// <summary>The tensor's elements as raw bytes in row-major order.</summary>
    public static byte[] RawBytes(Tensor t)
    {
        if (t.numel() == 0) return Array.Empty<byte>();
        using var c = t.contiguous();
        return c.bytes.ToArray();
    }

    /// <summary>Asserts names (in order), dtypes, shapes and raw bytes match the Python-written JSON.</summary>
    public static void MatchesExpected(StateDict sd, string jsonPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(jsonPath));
        var expected = doc.RootElement.EnumerateObject().ToList();
        Assert.Equal(expected.Select(p => p.Name), sd.Keys);
        foreach (var p in expected)
        {
            var t = sd[p.Name];
            Assert.True(t.device_type == DeviceType.CPU, p.Name);
            Assert.Equal(p.Value.GetProperty("dtype").GetString(), DTypeName(t.dtype));
            Assert.Equal(p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()), t.shape);
            var bytes = Convert.FromBase64String(p.Value.GetProperty("data").GetString()!);
            Assert.True(bytes.AsSpan().SequenceEqual(RawBytes(t)), $"tensor '{p.Name}' differs from the PyTorch original");
        }
    }

    public static void InfoMatchesExpected(IReadOnlyList<TensorInfo> infos, string jsonPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(jsonPath));
        var expected = doc.RootElement.EnumerateObject().ToList();
        Assert.Equal(expected.Select(p => p.Name), infos.Select(i => i.Name));
        foreach (var (p, info) in expected.Zip(infos))
        {
            Assert.Equal(p.Value.GetProperty("dtype").GetString(), info.DType);
            Assert.Equal(p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()), info.Shape);
        }
    }
}
