using System.Buffers.Binary;
using System.Text;
using SegSam;
using SegSam.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Tests.Checkpoints;

/// <summary>safetensors writing, reading and header validation.</summary>
public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("segsam-st-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static StateDict MakeAllDtypes()
    {
        var g = new torch.Generator(7);
        var sd = new StateDict();
        var f = torch.randn(new long[] { 3, 4 }, generator: g).Times(50);
        sd.Add("f32", f.clone());
        sd.Add("f16", f.to(ScalarType.Float16));
        sd.Add("bf16", f.to(ScalarType.BFloat16));
        sd.Add("f64", torch.randn(new long[] { 2, 2 }, ScalarType.Float64, generator: g));
        sd.Add("i64", torch.tensor(new long[] { long.MinValue, -1, 0, long.MaxValue }));
        sd.Add("i32", torch.randint(int.MinValue, int.MaxValue, new long[] { 5 }, ScalarType.Int32, generator: g));
        sd.Add("i16", torch.tensor(new short[] { short.MinValue, -2, 3, short.MaxValue }));
        sd.Add("i8", torch.tensor(new sbyte[] { -128, -1, 0, 127 }));
        sd.Add("u8", torch.tensor(new byte[] { 0, 1, 200, 255 }));
        sd.Add("bool", torch.tensor(new[] { true, false, true }));
        sd.Add("scalar", torch.tensor(3.25f));
        sd.Add("empty", torch.zeros(0, 3));
        sd.Add("transposed", f.t()); // non-contiguous input must be written row-major
        return sd;
    }

    [Fact]
    public void RoundTrip_PreservesValuesDtypesOrderAndMetadata()
    {
        string file = Path.Combine(_dir, "rt.safetensors");
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode ✓ \"quoted\"" };
        using var original = MakeAllDtypes();
        CheckpointFile.SaveSafetensors(file, original, meta);

        Assert.False(File.Exists(file + ".tmp"));
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(File.ReadAllBytes(file).AsSpan(0, 8));
        Assert.Equal(0, headerLength % 8);

        using var loaded = CheckpointFile.Load(file);
        Assert.Equal(original.Keys, loaded.Keys);
        foreach (var (name, t) in original)
        {
            var u = loaded[name];
            Assert.Equal(t.dtype, u.dtype);
            Assert.Equal(t.shape, u.shape);
            Assert.Equal(CheckpointAssert.RawBytes(t), CheckpointAssert.RawBytes(u));
        }
        Assert.Equal(meta, CheckpointFile.ReadMetadata(file));

        var infos = CheckpointFile.Inspect(file);
        Assert.Equal(original.Keys, infos.Select(i => i.Name));
        Assert.Equal("bfloat16", infos.Single(i => i.Name == "bf16").DType);
        Assert.Equal(new long[] { 4, 3 }, infos.Single(i => i.Name == "transposed").Shape);
    }

    [Fact]
    public void Write_OverwritesAtomicallyAndWithoutMetadata()
    {
        string file = Path.Combine(_dir, "over.safetensors");
        File.WriteAllText(file, "old contents");
        using (var sd = new StateDict())
        {
            sd.Add("w", torch.ones(2, 2));
            SafeTensors.Write(file, sd);
        }
        Assert.False(File.Exists(file + ".tmp"));
        var (tensors, metadata) = SafeTensors.Read(file);
        using (tensors)
        {
            Assert.Empty(metadata);
            Assert.Equal(new[] { 1f, 1f, 1f, 1f }, tensors["w"].data<float>().ToArray());
        }
    }

    [Fact]
    public void Write_RejectsDuplicateOrReservedNames()
    {
        string file = Path.Combine(_dir, "dup.safetensors");
        using var a = torch.zeros(1);
        using var b = torch.zeros(1);
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(file,
            new[] { KeyValuePair.Create("x", a), KeyValuePair.Create("x", b) }));
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(file,
            new[] { KeyValuePair.Create("__metadata__", a) }));
        Assert.False(File.Exists(file));
        Assert.False(File.Exists(file + ".tmp"));
    }

    public static TheoryData<string, string, int, string> BadHeaders => new()
    {
        // header JSON, expected text in message, data buffer length, label
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "", 8, "valid control" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", "outside", 16 - 8, "end past buffer" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", "outside", 8, "negative begin" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "needs 12", 8, "size mismatch" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "overlapping", 8, "overlap" },
        { "{\"w\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", "unsupported dtype", 8, "bad dtype" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", "shape", 8, "negative dim" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", "data_offsets", 8, "missing offsets" },
        { "{\"__metadata__\":{\"k\":1}}", "metadata", 0, "non-string metadata" },
        { "{\"w\": [1, 2", "JSON", 8, "broken JSON" },
        { "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", "twice", 8, "duplicate" },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void HeaderErrors_AreReportedClearly(string json, string expected, int bufferLength, string label)
    {
        string file = Path.Combine(_dir, "bad.safetensors");
        var header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + bufferLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(file, bytes);

        if (expected.Length == 0)
        {
            using var ok = CheckpointFile.Load(file);
            Assert.Equal(new long[] { 2 }, ok["w"].shape);
            return;
        }
        var e = Assert.Throws<CheckpointFormatException>(() => SafeTensors.Read(file));
        Assert.Contains(file, e.Message);
        Assert.Contains(expected, e.Message);
        Assert.NotNull(label);
    }

    [Fact]
    public void HeaderLengthBeyondFile_IsReportedClearly()
    {
        string file = Path.Combine(_dir, "len.safetensors");
        var bytes = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1_000_000);
        bytes[8] = (byte)'{';
        File.WriteAllBytes(file, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => SafeTensors.Read(file));
        Assert.Contains(file, e.Message);
        Assert.Contains("header length", e.Message);
        // Detection by content treats it as unknown rather than trusting the bogus length.
        Assert.Throws<CheckpointFormatException>(() => CheckpointFile.Load(file));
    }

    [Fact]
    public void TruncatedSafetensors_IsReportedClearly()
    {
        string file = Path.Combine(_dir, "trunc.safetensors");
        using (var sd = MakeAllDtypes()) SafeTensors.Write(file, sd);
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length - 10)]);
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.Load(file));
        Assert.Contains(file, e.Message);
    }
}
