using SegSam.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace SegSam.Tests.Checkpoints;

/// <summary>Loading torch.save checkpoints produced by real PyTorch.</summary>
public sealed class TorchCheckpointTests : IClassFixture<TorchCheckpointFixture>
{
    private readonly TorchCheckpointFixture _files;

    public TorchCheckpointTests(TorchCheckpointFixture files) => _files = files;

    [Theory]
    [InlineData("dtypes.pth")]
    [InlineData("dtypes_p4.pth")]
    [InlineData("dtypes_p5.pth")]
    [InlineData("dtypes_deflated.pth")]
    [InlineData("dtypes_be.pth")]
    [InlineData("hand.safetensors")]
    public void AllDtypes_LoadBitExact(string file)
    {
        using var sd = CheckpointFile.Load(_files[file]);
        CheckpointAssert.MatchesExpected(sd, _files["dtypes.json"]);
    }

    [Fact]
    public void Views_HonourSizeStrideAndOffset()
    {
        using var sd = CheckpointFile.Load(_files["views.pth"]);
        CheckpointAssert.MatchesExpected(sd, _files["views.json"]);
        foreach (var (_, t) in sd) Assert.True(t.is_contiguous());
    }

    [Fact]
    public void SharedStorage_LoadsAsIndependentTensors()
    {
        using var sd = CheckpointFile.Load(_files["views.pth"]);
        var a = sd["a"];
        var b = sd["b"];
        float b0 = b[0].item<float>();
        Assert.Equal(a[2].item<float>(), b0); // both were views of base[2]
        a[2] = torch.tensor(999f);
        Assert.Equal(b0, b[0].item<float>());
        float x0 = sd["x"][0, 0].item<float>();
        sd["xt"][0, 0] = torch.tensor(-123f);
        Assert.Equal(x0, sd["x"][0, 0].item<float>());
    }

    [Theory]
    [InlineData("nested.pth")]
    [InlineData("nested_p4.pth")]
    [InlineData("nested2.pth")]
    [InlineData("module_prefix.pth")]
    public void WrappedStateDicts_YieldOnlyTheWeights(string file)
    {
        using var sd = CheckpointFile.Load(_files[file]);
        CheckpointAssert.MatchesExpected(sd, _files["inner.json"]);
    }

    [Fact]
    public void NnModuleStateDict_LoadsWithMetadataIgnored()
    {
        using var sd = CheckpointFile.Load(_files["nn_module.pth"]);
        CheckpointAssert.MatchesExpected(sd, _files["nn_module.json"]);
        Assert.Contains("2.num_batches_tracked", sd.Keys);
    }

    [Fact]
    public void Parameters_LoadAsPlainTensors()
    {
        using var sd = CheckpointFile.Load(_files["params.pth"]);
        CheckpointAssert.MatchesExpected(sd, _files["params.json"]);
        Assert.False(sd["p"].requires_grad);
    }

    [Fact]
    public void CraftedStridedView_Loads()
    {
        using var sd = CheckpointFile.Load(_files["crafted_ok.pth"]);
        Assert.Equal(new[] { 2f, 4f }, sd["w"].data<float>().ToArray());
    }

    [Fact]
    public void Inspect_ListsStateDictWithoutLoading()
    {
        CheckpointAssert.InfoMatchesExpected(CheckpointFile.Inspect(_files["nested.pth"]), _files["inner.json"]);
        CheckpointAssert.InfoMatchesExpected(CheckpointFile.Inspect(_files["dtypes.pth"]), _files["dtypes.json"]);
        CheckpointAssert.InfoMatchesExpected(CheckpointFile.Inspect(_files["hand.safetensors"]), _files["dtypes.json"]);
        Assert.Equal(CheckpointFormat.TorchZip, CheckpointFile.DetectFormat(_files["views.pth"]));
        Assert.Equal(CheckpointFormat.Safetensors, CheckpointFile.DetectFormat(_files["hand.safetensors"]));
    }

    [Fact]
    public void Metadata_EmptyForPthAndReadFromSafetensors()
    {
        Assert.Empty(CheckpointFile.ReadMetadata(_files["dtypes.pth"]));
        var meta = CheckpointFile.ReadMetadata(_files["hand.safetensors"]);
        Assert.Equal("pt", meta["format"]);
        Assert.Equal("python ✓", meta["source"]);
    }

    [Fact]
    public void OsSystemPickle_IsRefusedAndNeverRun()
    {
        string file = _files["evil_system.pth"];
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.Load(file));
        Assert.Contains(file, e.Message);
        Assert.Contains("refuses to load global", e.Message);
        // os.system pickles under its defining module: 'posix.system' on Linux.
        Assert.Matches("'(os|posix)\\.system'", e.Message);
        Assert.Throws<CheckpointFormatException>(() => CheckpointFile.Inspect(file));
        Assert.False(File.Exists(_files.SystemMarker), "the pickle's os.system payload ran");
    }

    [Fact]
    public void BuiltinsEvalPickle_IsRefusedAndNeverRun()
    {
        string file = _files["evil_eval.pth"];
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.Load(file));
        Assert.Contains("'builtins.eval'", e.Message);
        Assert.Contains("only state_dict contents are allowed", e.Message);
        Assert.False(File.Exists(_files.EvalMarker), "the pickle's eval payload ran");
    }

    [Fact]
    public void ArbitraryPythonObjects_AreRefused()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.Load(_files["namespace.pth"]));
        Assert.Contains("'argparse.Namespace'", e.Message);
    }

    [Fact]
    public void LegacyFormat_AsksToResave()
    {
        string file = _files["legacy.pth"];
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.Load(file));
        Assert.Contains(file, e.Message);
        Assert.Contains("legacy", e.Message);
        Assert.Contains("1.6", e.Message);
    }

    [Theory]
    [InlineData("missing_record.pth", "data/1")]
    [InlineData("short_record.pth", "data/0")]
    [InlineData("oob_size.pth", "storage")]
    [InlineData("oob_offset.pth", "storage")]
    [InlineData("oob_stride.pth", "storage")]
    public void DamagedArchives_FailClearly(string name, string expectedText)
    {
        string file = _files[name];
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.Load(file));
        Assert.Contains(file, e.Message);
        Assert.Contains(expectedText, e.Message);
        Assert.Equal(file, e.FilePath);
    }

    [Fact]
    public void TruncatedArchive_FailsClearly()
    {
        string file = Path.Combine(_files.Dir, "truncated.pth");
        var bytes = File.ReadAllBytes(_files["dtypes.pth"]);
        File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointFile.Load(file));
        Assert.Contains(file, e.Message);
        Assert.Contains("zip", e.Message);
    }

    [Fact]
    public void CorruptedStorageBytes_InCompressedRecord_FailClearly()
    {
        // Flip bytes in the middle of the deflated archive: the inflater or CRC check must notice.
        string file = Path.Combine(_files.Dir, "corrupt_deflated.pth");
        var bytes = File.ReadAllBytes(_files["dtypes_deflated.pth"]);
        for (int i = bytes.Length / 3; i < bytes.Length / 3 + 64; i++) bytes[i] ^= 0x5A;
        File.WriteAllBytes(file, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => { using var sd = CheckpointFile.Load(file); });
        Assert.Contains(file, e.Message);
    }
}
