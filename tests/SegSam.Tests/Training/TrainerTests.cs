using System.Text.Json;
using SegSam;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Modeling;
using SegSam.Tests.Support;
using SegSam.Training;
using static TorchSharp.torch;

namespace SegSam.Tests.Training;

/// <summary>The trainer on a tiny model and synthetic shapes: gradients, checkpoints, exact resume.</summary>
// Runs are compared bit for bit, and their models are seeded through libtorch's process-wide
// generator, which tests running in parallel draw from too.
[Collection(Serial.Name)]
public class TrainerTests
{
    static TrainingConfig Quick(int epochs = 2) => new()
    {
        Epochs = epochs, ImagesPerBatch = 2, ObjectsPerImage = 2, BoxProbability = 0.5, Optimizer = "adamw",
        LearningRate = 1e-3, WeightDecay = 0.01, LrMilestones = [1], Seed = 5,
    };

    static SegSamModel Model(string variant = "full")
    {
        manual_seed(7);
        var model = new SegSamModel(TinySegSam.Config(variant));
        model.TextEnhancer?.SetTextEmbeddings(randn(3, 8));
        return model;
    }

    [Fact]
    public void ResumingFromACheckpointEqualsAnUninterruptedRun()
    {
        var data = TinySegSam.Dataset(6);
        using var dir = new TempDir();
        using var straight = Model();
        new SegSamTrainer(straight, Quick(3), data, dir.File("straight")).Run(resume: false);

        // Stop after epoch 1 (as a crash would), then resume the same run for epochs 2 and 3.
        using (var first = Model())
            new SegSamTrainer(first, Quick(1), data, dir.File("split")).Run(resume: false);
        using var resumed = Model();
        new SegSamTrainer(resumed, Quick(3), data, dir.File("split")).Run(resume: true);

        var a = straight.state_dict();
        var b = resumed.state_dict();
        foreach (var (name, tensor) in a)
            Assert.True(tensor.equal(b[name]).all().item<bool>(), $"{name} differs after resume");
        var straightLog = File.ReadAllLines(dir.File("straight/train_log.jsonl")).Select(StripTime);
        var resumedLog = File.ReadAllLines(dir.File("split/train_log.jsonl")).Select(StripTime);
        Assert.Equal(straightLog, resumedLog);
    }

    [Fact]
    public void TimeBudgetStopsMidEpochAndTheRunResumesExactly()
    {
        var data = TinySegSam.Dataset(8);
        using var dir = new TempDir();
        using var straight = Model("sawd");
        new SegSamTrainer(straight, Quick(1), data, dir.File("straight")).Run(resume: false);

        using (var first = Model("sawd"))
        {
            var result = new SegSamTrainer(first, Quick(1) with { TimeBudgetMinutes = 1e-9 }, data, dir.File("split")).Run(resume: false);
            Assert.True(result.StoppedByBudget);
            Assert.Equal(1, result.Steps);
        }
        using var resumed = Model("sawd");
        var rest = new SegSamTrainer(resumed, Quick(1), data, dir.File("split")).Run(resume: true);
        Assert.Equal(4, rest.Steps);
        foreach (var (name, tensor) in straight.state_dict())
            Assert.True(tensor.equal(resumed.state_dict()[name]).all().item<bool>(), $"{name} differs after a mid-epoch resume");
    }

    [Fact]
    public void FrozenEncoderGetsNoGradientAndDoesNotChange()
    {
        var data = TinySegSam.Dataset(4);
        using var dir = new TempDir();
        using var model = Model("sawd");
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        new SegSamTrainer(model, Quick(1) with { FreezeImageEncoder = true }, data, dir.File("run")).Run(resume: false);
        foreach (var (name, tensor) in model.state_dict())
        {
            bool same = tensor.equal(before[name]).all().item<bool>();
            if (name.StartsWith("sam.image_encoder.", StringComparison.Ordinal)) Assert.True(same, $"{name} changed with the encoder frozen");
        }
        Assert.False(model.state_dict()["semantic_decoder.so_token.weight"].equal(before["semantic_decoder.so_token.weight"]).all().item<bool>());
        Assert.False(model.state_dict()["sam.mask_decoder.iou_token.weight"].equal(before["sam.mask_decoder.iou_token.weight"]).all().item<bool>());
        Assert.All(model.Sam.ImageEncoder.parameters(), p => Assert.True(p.requires_grad)); // restored after training
    }

    [Fact]
    public void GradientsReachEveryTrainedPartOfTheFullModel()
    {
        var data = TinySegSam.Dataset(2);
        using var model = Model("full");
        model.train();
        var sampler = new PromptSampler();
        var rng = new SplitRandom(1);
        var objects = Enumerable.Range(0, 2).SelectMany(row => sampler.SampleTraining(data.Slices[row], 2, 1, rng).Select(o => (row, o))).ToList();
        using var batch = TrainingBatch.Build(data, [0, 1], objects, 3, CPU);
        using var scope = NewDisposeScope();
        var embeddings = model.Sam.ImageEncoder.forward(model.Sam.PreprocessSlices([data.Slices[0].Image, data.Slices[1].Image], data.Height, data.Width));
        using var output = model.Decode(embeddings.index_select(0, batch.ImageIndex), null, null, batch.Boxes, null, false);
        SegSamLoss.Compute(output, batch, new TrainingConfig(), 32).Total.backward();
        string[] mustLearn =
        [
            "sam.image_encoder.patch_embed.proj.weight", "sam.prompt_encoder.point_embeddings.2.weight", "sam.mask_decoder.mask_tokens.weight",
            "semantic_decoder.so_token.weight", "semantic_decoder.class_head.weight", "semantic_decoder.presence_weight",
            "semantic_decoder.category_tokens.co_tokens.weight", "text_enhancer.text_proj.weight", "text_enhancer.text_token.weight",
        ];
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var name in mustLearn)
            Assert.True(parameters[name].grad is { } g && g.abs().sum().item<float>() > 0, $"{name} received no gradient");
        // Point embeddings 0/1 (negative/positive clicks) are not used by a box-only step.
        Assert.True(parameters["sam.prompt_encoder.point_embeddings.1.weight"].grad is null
                    || parameters["sam.prompt_encoder.point_embeddings.1.weight"].grad!.abs().sum().item<float>() == 0);
    }

    [Fact]
    public void CheckpointsAreCompleteAndTheLogHasOneLinePerStep()
    {
        var data = TinySegSam.Dataset(4);
        using var dir = new TempDir();
        using var model = Model("baseline");
        var result = new SegSamTrainer(model, Quick(2), data, dir.File("run")).Run(resume: false);
        Assert.Equal(4, result.Steps);
        Assert.True(File.Exists(dir.File("run/model.safetensors")));
        string pointer = File.ReadAllText(dir.File("run/checkpoints/latest.json"));
        string latest = JsonDocument.Parse(pointer).RootElement.GetProperty("dir").GetString()!;
        foreach (var file in new[] { "model.safetensors", "optimizer.safetensors", "state.json" })
            Assert.True(File.Exists(Path.Combine(dir.File("run/checkpoints"), latest, file)), file);
        Assert.Single(Directory.GetDirectories(dir.File("run/checkpoints")));
        var lines = File.ReadAllLines(dir.File("run/train_log.jsonl"));
        Assert.Equal(4 + 2, lines.Length); // 4 steps + 2 epoch summaries
        var reloaded = SegSamCheckpoint.ReadConfig(dir.File("run/model.safetensors"));
        Assert.Equal(model.Config.ToJson(), reloaded.ToJson());
        Assert.Contains("segsam.training", CheckpointFile.ReadMetadata(dir.File("run/model.safetensors")).Keys);
    }

    [Fact]
    public void DatasetAndModelMustAgree()
    {
        using var model = Model("sawd");
        using var dir = new TempDir();
        var wrongSize = TinySegSam.Dataset(2, size: 24);
        Assert.Contains("24×24", Assert.Throws<InvalidDataException>(() => new SegSamTrainer(model, Quick(), wrongSize, dir.Path)).Message);
        var wrongCategories = new SliceDataset { Name = "x", Categories = ["a", "b", "c"], Slices = TinySegSam.Dataset(2).Slices };
        Assert.Contains("categories", Assert.Throws<InvalidDataException>(() => new SegSamTrainer(model, Quick(), wrongCategories, dir.Path)).Message);
        var trainer = new SegSamTrainer(model, Quick(), TinySegSam.Dataset(2), dir.Path);
        Assert.Throws<InvalidDataException>(() => trainer.Run(resume: true)); // nothing to resume
    }

    [Fact]
    public void ClassAgnosticObjectsTrainTheMaskButNotTheClass()
    {
        var data = TinySegSam.Dataset(2);
        using var model = Model("full");
        model.train();
        // The square of slice 0 as a class-agnostic object, beside slice 1's categorised objects.
        var square = data.Slices[0].Mask(1);
        var box = PromptSampler.ExactBox(square, 32, 32);
        var agnostic = new PromptedObject(0, new SamPrompt { Box = box }, square);
        var named = new PromptedObject(1, new SamPrompt { Box = box }, square);
        using var scope = NewDisposeScope();
        var embeddings = model.Sam.ImageEncoder.forward(model.Sam.PreprocessSlices([data.Slices[0].Image], 32, 32));

        LossTerms Loss(params PromptedObject[] objects)
        {
            using var batch = TrainingBatch.Build(data, [0], objects.Select(o => (0, o)).ToList(), 3, CPU);
            using var output = model.Decode(embeddings.index_select(0, batch.ImageIndex), null, null, batch.Boxes, null, false);
            return SegSamLoss.Compute(output, batch, new TrainingConfig(), 32);
        }

        using (var onlyAgnostic = TrainingBatch.Build(data, [0], [(0, agnostic)], 3, CPU))
        {
            Assert.Equal(TrainingBatch.IgnoredClass, onlyAgnostic.ClassIds.item<long>());
            Assert.Equal(0f, onlyAgnostic.Semantic.item<float>());
        }
        var alone = Loss(agnostic);
        Assert.DoesNotContain("ce", alone.Parts.Keys);
        Assert.DoesNotContain("sem_dice", alone.Parts.Keys);
        Assert.True(double.IsFinite(alone.Parts["total"]) && alone.Parts["bin"] > 0);
        alone.Total.backward();
        Assert.True(model.named_parameters().Single(p => p.name == "sam.mask_decoder.mask_tokens.weight").parameter.grad!.abs().sum().item<float>() > 0);

        // Mixed: the class and SAWD terms are those of the named object alone; the binary term averages both.
        var mixed = Loss(agnostic, named);
        var namedOnly = Loss(named);
        Assert.Equal(namedOnly.Parts["ce"], mixed.Parts["ce"], 5);
        Assert.Equal(namedOnly.Parts["sem_dice"], mixed.Parts["sem_dice"], 5);
        Assert.Equal(namedOnly.Parts["cmsa"], mixed.Parts["cmsa"], 5);
        Assert.Equal((alone.Parts["bin"] + namedOnly.Parts["bin"]) / 2, mixed.Parts["bin"], 4);
    }

    [Fact]
    public void PointStepsDrawClassAgnosticObjectsByTheirOwnShare()
    {
        var plain = TinySegSam.Dataset(4);
        // One class-agnostic object per slice: its whole foreground.
        var data = new SliceDataset
        {
            Name = plain.Name, Modality = plain.Modality, Categories = plain.Categories, PixelSpacing = plain.PixelSpacing,
            Slices = [.. plain.Slices.Select(s => s with { Objects = [s.Labels.Select(l => l > 0 ? 1 : 0).ToArray()] })],
            ObjectMapNames = ["foreground"],
        };
        using var dir = new TempDir();
        // A step's log has a class term ("ce") exactly when one of its objects has a category.
        List<bool> StepsWithClassTerm(TrainingConfig config, string run)
        {
            using var model = Model();
            new SegSamTrainer(model, config, data, dir.File(run)).Run(resume: false);
            var steps = File.ReadAllLines(dir.File($"{run}/train_log.jsonl")).Select(line => JsonDocument.Parse(line).RootElement)
                .Where(entry => entry.TryGetProperty("loss", out _)).ToList();
            Assert.NotEmpty(steps);
            return [.. steps.Select(step => step.GetProperty("loss").TryGetProperty("ce", out _))];
        }
        var clicks = Quick(1) with { BoxProbability = 0, AgnosticShare = 1 };
        Assert.All(StepsWithClassTerm(clicks, "clicks"), Assert.False);
        Assert.All(StepsWithClassTerm(clicks with { PointAgnosticShare = 0 }, "clicks-own-share"), Assert.True);
        Assert.All(StepsWithClassTerm(clicks with { BoxProbability = 1, PointAgnosticShare = 0 }, "boxes"), Assert.False);

        Assert.Equal(0.3, new TrainingConfig { AgnosticShare = 0.3 }.AgnosticShareOn(boxSteps: false));
        Assert.Equal(0.0, new TrainingConfig { AgnosticShare = 0.3, PointAgnosticShare = 0 }.AgnosticShareOn(boxSteps: false));
        Assert.Equal(0.3, new TrainingConfig { AgnosticShare = 0.3, PointAgnosticShare = 0 }.AgnosticShareOn(boxSteps: true));
        var json = TrainingConfig.FromJson(new TrainingConfig { PointAgnosticShare = 0, InteriorClickShare = 0.5 }.ToJson());
        Assert.Equal((0.0, 0.5), (json.PointAgnosticShare, json.InteriorClickShare));
        Assert.Null(TrainingConfig.FromJson(new TrainingConfig().ToJson()).PointAgnosticShare);
    }

    static string StripTime(string line)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(line)!.AsObject();
        node.Remove("elapsed_s");
        return node.ToJsonString();
    }
}
