using System.Text.Json;
using SegSam.Checkpoints;
using SegSam.Modeling;
using SegSam.Tests.Support;
using static TorchSharp.torch;

namespace SegSam.Tests.Cli;

/// <summary>`evaluate --oracle` through the real CLI: the best-of-the-masks Dice in the table, the JSON and the CSVs; refused where there are no prompts.</summary>
[Collection(Serial.Name)]
public sealed class OracleCliTests
{
    [Fact]
    public void Evaluate_reports_the_oracle_beside_the_models_choice()
    {
        using var dir = new TempDir();
        string data = dir.File("data");
        TinySegSam.Dataset(3, seed: 4).Save(Path.Combine(data, "test"));
        string path = dir.File("segsam.safetensors");
        manual_seed(8);
        using (var fresh = new SegSamModel(TinySegSam.Config() with { BoxCandidates = true }))
            SegSamCheckpoint.Save(fresh, path, new Dictionary<string, string>());

        var text = Support.Cli.Run("evaluate", "--model", path, "--data", data, "--no-surface", "--oracle", "--out", dir.File("out"));
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("oracle DSC", text.StdOut);
        var overall = JsonDocument.Parse(File.ReadAllText(dir.File("out/metrics.json"))).RootElement.GetProperty("overall").EnumerateArray().ToList();
        Assert.Equal(2, overall.Count);
        foreach (var row in overall)
            Assert.True(row.GetProperty("oracle_dice").GetProperty("mean").GetDouble() >= row.GetProperty("dice").GetProperty("mean").GetDouble());
        string[] objects = File.ReadAllLines(dir.File("out/objects.csv"));
        Assert.EndsWith(",oracle_dice", objects[0]);
        Assert.All(objects.Skip(1), line => Assert.False(line.EndsWith(','), line));

        var without = Support.Cli.Run("evaluate", "--model", path, "--data", data, "--no-surface");
        Assert.True(without.ExitCode == 0, without.ToString());
        Assert.DoesNotContain("oracle", without.StdOut);
    }

    [Fact]
    public void A_PgSam_model_and_the_synapse_protocol_refuse_it()
    {
        using var dir = new TempDir();
        string data = dir.File("data");
        TinySegSam.Dataset(1, seed: 2).Save(Path.Combine(data, "test"));
        string pgsam = Path.Combine(Fixtures.RepoRoot, "models", "pgsam-atlas-lobes.safetensors");
        var result = Support.Cli.Run("evaluate", "--model", pgsam, "--data", data, "--oracle");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--oracle applies to a SEG-SAM model's prompts", result.StdErr);

        var synapse = Support.Cli.Run("evaluate", "--protocol", "synapse", "--predictions", dir.File("none"), "--labels", dir.File("none"), "--oracle");
        Assert.True(synapse.ExitCode == 2, synapse.ToString());
        Assert.Contains("--oracle applies to a SEG-SAM model's prompts, not to --protocol synapse", synapse.StdErr);
    }
}
