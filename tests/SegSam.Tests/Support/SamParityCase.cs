using System.Text.Json;
using SegSam.Imaging;
using SegSam.Inference;
using SegSam.Data;

namespace SegSam.Tests.Support;

/// <summary>
/// One folder of reference outputs from the PyTorch SAM (see fixtures/sam-parity/README.md):
/// config, weights, image, embedding and prompt cases with their expected logits.
/// </summary>
public sealed class SamParityCase
{
    public string Dir { get; }
    public (int H, int W) OriginalSize { get; }
    public IReadOnlyList<PromptCase> Prompts { get; }

    public sealed record PromptCase(int Index, SamPrompt Prompt, bool Multimask, string? MaskInputFile);

    public SamParityCase(string dir)
    {
        Dir = dir;
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(Path.Combine(dir, "case.json")));
        var root = doc.RootElement;
        var size = root.GetProperty("original_size");
        OriginalSize = (size[0].GetInt32(), size[1].GetInt32());
        var prompts = new List<PromptCase>();
        int index = 0;
        foreach (var c in root.GetProperty("cases").EnumerateArray())
        {
            var points = new List<PointPrompt>();
            if (c.GetProperty("points") is { ValueKind: JsonValueKind.Array } p)
            {
                var labels = c.GetProperty("labels").EnumerateArray().Select(l => l.GetInt32()).ToArray();
                int i = 0;
                foreach (var xy in p.EnumerateArray()) points.Add(new PointPrompt(xy[0].GetDouble(), xy[1].GetDouble(), labels[i++]));
            }
            BoxPrompt? box = null;
            if (c.GetProperty("box") is { ValueKind: JsonValueKind.Array } b)
            {
                var v = b.EnumerateArray().Select(e => e.GetDouble()).ToArray();
                box = new BoxPrompt(v[0], v[1], v[2], v[3]);
            }
            string? maskFile = c.GetProperty("mask_input") is { ValueKind: JsonValueKind.String } m ? m.GetString() : null;
            var prompt = new SamPrompt
            {
                Points = points,
                Box = box,
                MaskInput = maskFile is null ? null : NpyFile.Read(Path.Combine(dir, maskFile)).ToFloat32(),
            };
            prompts.Add(new PromptCase(index++, prompt, c.GetProperty("multimask").GetBoolean(), maskFile));
        }
        Prompts = prompts;
    }

    public string File(string name) => Path.Combine(Dir, name);

    public NpyArray Expected(int caseIndex, string what) => NpyFile.Read(File($"case{caseIndex}_{what}.npy"));

    /// <summary>Asserts |actual − expected| ≤ tolerance × max|expected| (relative) or ≤ tolerance (absolute).</summary>
    public static void AssertClose(NpyArray expected, float[] actual, long[] actualShape, double tolerance, bool relative, string what)
    {
        Assert.True(expected.Shape.SequenceEqual(actualShape),
            $"{what}: shape {string.Join('×', actualShape)} differs from the reference {string.Join('×', expected.Shape)}");
        var e = expected.ToFloat32();
        double maxRef = e.Max(v => Math.Abs((double)v));
        double bound = relative ? tolerance * Math.Max(maxRef, 1e-12) : tolerance;
        double worst = 0;
        for (int i = 0; i < e.Length; i++) worst = Math.Max(worst, Math.Abs(e[i] - (double)actual[i]));
        Assert.True(worst <= bound, $"{what}: max difference {worst:E3} exceeds {bound:E3} (reference max |x| {maxRef:E3})");
    }
}
