using System.CommandLine;
using System.Globalization;
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Modeling;
using SegSam.Text;
using SegSam.Training;
using static TorchSharp.torch;
using SegSam.IO;

namespace SegSam.Cli.Commands;

/// <summary>`segsam train`: trains a SEG-SAM model (or one of its ablations), or PG-SAM (`--model pgsam`), on prepared slices.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Prepared dataset: a folder with train/ (from `segsam prepare`), or a dataset folder itself", Required = true };
        var output = new Option<string>("--out") { Description = "Output folder: model.safetensors, train_log.jsonl, checkpoints/", Required = true };
        var method = new Option<string>("--model") { Description = "segsam (default) or pgsam (prompt-free PG-SAM: LoRA encoder + prior-guided head, AdamW, warm-up + poly decay, 0.2·CE + 0.8·Dice at low-res and full-res)", DefaultValueFactory = _ => "segsam" };
        var modelType = new Option<string>("--model-type") { Description = $"SAM size: {string.Join(", ", SamConfig.PresetNames)} (pgsam: only for --init files that carry no config, or without --init)", DefaultValueFactory = _ => "vit_t_128" };
        var variant = new Option<string>("--variant") { Description = $"SEG-SAM parts (the paper's ablations): {string.Join(", ", SegSamConfig.VariantNames)}", DefaultValueFactory = _ => "full" };
        var config = new Option<string?>("--config") { Description = "A SEG-SAM config JSON (overrides --model-type and --variant)" };
        var init = new Option<string?>("--init") { Description = "Initialise the SAM part from a released checkpoint (SAM, MedSAM, SAM-Med2D .pth or .safetensors); pgsam: also a SEG-SAM model (its encoder, prompt encoder and decoder transformer)" };
        var trainingConfig = new Option<string?>("--training-config") { Description = "A training config JSON; the options below override it" };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs (default 15; pgsam 300)" };
        var batch = new Option<int?>("--batch") { Description = "Images per step (default 8)" };
        var objects = new Option<int?>("--objects") { Description = "Prompted objects per image (default 5)" };
        var boxProbability = new Option<double?>("--box-prob") { Description = "Share of steps prompted with boxes, the rest with points (default 0.5)" };
        var optimizer = new Option<string?>("--optimizer") { Description = "adam or adamw (default adam)" };
        var lr = new Option<double?>("--lr") { Description = "Learning rate (default 1e-4; pgsam 0.0026)" };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "Weight decay (default 0; pgsam 0.1, AdamW)" };
        var milestones = new Option<string?>("--milestones") { Description = "Epochs after which the lr is halved, e.g. 5,10 (default); 'none' for a constant lr" };
        var warmup = new Option<int?>("--warmup") { Description = "Linear warm-up steps (default 0; pgsam 250, then poly decay with power 0.9)" };
        var budget = new Option<double?>("--time-budget") { Description = "Stop after this many minutes (with a checkpoint)" };
        var freeze = new Option<bool>("--freeze-encoder") { Description = "Freeze the image encoder and train on cached embeddings (the paper's setting for released encoders)" };
        var noCmsa = new Option<bool>("--no-cmsa") { Description = "Leave out the cross-mask spatial alignment loss" };
        var highRes = new Option<int?>("--high-res") { Description = "Add a pixel-level feature stem of this width to the mask decoders (e.g. 16)" };
        var boxPrior = new Option<bool>("--box-prior") { Description = "Add a learned inside/outside-the-box prior to the mask logits (for models trained from scratch)" };
        var augment = new Option<bool>("--augment") { Description = "Random rotation/scale/shift and intensity changes of training slices" };
        var schedule = new Option<string?>("--lr-schedule") { Description = "step (halve at --milestones, default) or cosine (to 0 over all epochs)" };
        var lambdaBce = new Option<double?>("--lambda-bce") { Description = "Weight λ of the presence BCE (default 10)" };
        var descriptions = new Option<string?>("--descriptions") { Description = "Category descriptions JSON for T2VSE (default: data/descriptions/aal.json)" };
        var textEncoder = new Option<string>("--text-encoder") { Description = TextEncoders.SpecHelp + "; pgsam default hashing:512 (stands in for CLIP's text tower)", DefaultValueFactory = _ => "hashing:256" };
        var classes = new Option<string>("--classes") { Description = "pgsam: lobes (the built-in AAL data regrouped into 8 lobes/structures) or dataset (the data's own categories)", DefaultValueFactory = _ => "dataset" };
        var fraction = new Option<double?>("--fraction") { Description = "pgsam few-shot: train on this share of the training slices, a seeded subset of at least one (e.g. 0.1; default 1)" };
        var imageDescriptions = new Option<string?>("--image-descriptions") { Description = "pgsam: per-slice descriptions for the prior, a JSON object slice id → text or a folder of ID.txt (default: one dataset-level template sentence, no per-image information)" };
        var loraRank = new Option<int?>("--lora-rank") { Description = "pgsam: LoRA rank on q and v of every encoder block (default 4; 0 freezes the encoder)" };
        var clip = new Option<string?>("--clip") { Description = "pgsam: CLIP ViT-B/32 weights (safetensors in OpenAI's or Hugging Face's names) for the prior, as PG-SAM: image tower on the slice, text tower with LoRA on the description (default: the offline stand-in, see docs/pgsam.md)" };
        var clipLoraRank = new Option<int?>("--clip-lora-rank") { Description = "pgsam with --clip: LoRA rank on q and v of every CLIP text block (default 4; 0 freezes the text tower)" };
        var noPrior = new Option<bool>("--no-prior") { Description = "pgsam ablation: no prior aligner (no guide matrix, hence no fusion)" };
        var noFusion = new Option<bool>("--no-fusion") { Description = "pgsam ablation: the guide reaches the decoder only, not the image embedding" };
        var refine = new Option<int?>("--refine-iterations") { Description = "pgsam: iterations of the mask optimizer (default 1; 0 = none)" };
        var seed = new Option<ulong>("--seed") { Description = "Random seed (weights and sampling)", DefaultValueFactory = _ => 42 };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its latest checkpoint" };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON" };

        var command = new Command("train", "Train SEG-SAM (or an ablation) or PG-SAM on prepared slices; checkpoints every epoch, resumable.")
        {
            data, output, method, modelType, variant, config, init, trainingConfig, epochs, batch, objects, boxProbability, optimizer, lr,
            weightDecay, milestones, warmup, budget, freeze, noCmsa, boxPrior, highRes, augment, schedule, lambdaBce, descriptions, textEncoder, classes, fraction, imageDescriptions, loraRank,
            clip, clipLoraRank, noPrior, noFusion, refine, seed, resume, json,
        };
        command.SetAction(parse =>
        {
            bool Given(Option o) => parse.GetResult(o) is { Implicit: false };
            string which = parse.GetValue(method)!;
            if (which is not ("segsam" or "pgsam")) throw new UsageException($"--model '{which}' is unknown; known: segsam, pgsam");
            Option[] segsamOnly = [variant, config, trainingConfig, objects, boxProbability, optimizer, milestones, freeze, noCmsa, boxPrior, highRes, schedule, lambdaBce, descriptions];
            Option[] pgsamOnly = [classes, fraction, imageDescriptions, loraRank, clip, clipLoraRank, noPrior, noFusion, refine];
            foreach (var option in which == "pgsam" ? segsamOnly : pgsamOnly)
                if (Given(option)) throw new UsageException($"{option.Name} does not apply to --model {which}");
            if (which == "pgsam")
                return PgSamCli.Train(parse, new PgSamCli.TrainOptions(data, output, modelType, init, epochs, batch, lr, weightDecay, warmup, budget,
                    augment, seed, resume, json, textEncoder, classes, fraction, imageDescriptions, loraRank, clip, clipLoraRank, noPrior, noFusion, refine), LoadTrainSet);
            var train = LoadTrainSet(parse.GetValue(data)!);
            string outDir = parse.GetValue(output)!;
            var training = BuildTrainingConfig(parse, trainingConfig, epochs, batch, objects, boxProbability, optimizer, lr, weightDecay,
                milestones, warmup, budget, freeze, noCmsa, augment, schedule, lambdaBce, seed);
            bool resuming = parse.GetValue(resume);

            manual_seed((long)(training.Seed % long.MaxValue));
            SegSamConfig segConfig;
            if (resuming)
            {
                string pointer = Path.Combine(outDir, "checkpoints", "latest.json");
                if (!File.Exists(pointer)) throw new FileNotFoundException($"{outDir}: nothing to resume (no checkpoints/latest.json)", pointer);
                segConfig = ReadCheckpointConfig(outDir);
            }
            else if (parse.GetValue(config) is { } configPath)
            {
                segConfig = SegSamConfig.FromJson(InputFile.ReadAllText(configPath), configPath);
            }
            else
            {
                var samConfig = SamConfig.Preset(Known(parse.GetValue(modelType)!, SamConfig.PresetNames, "--model-type"));
                segConfig = SegSamConfig.Variant(Known(parse.GetValue(variant)!, SegSamConfig.VariantNames, "--variant"), samConfig,
                    train.Categories, TextEncoders.Create(parse.GetValue(textEncoder)!).Dimension);
            }
            if (segConfig.IsSemantic || segConfig.TextEnhancer.Enabled)
                segConfig = segConfig with { Categories = train.Categories };
            if (!resuming && segConfig.TextEnhancer.Enabled && parse.GetValue(config) is null)
                segConfig = segConfig with { TextEnhancer = segConfig.TextEnhancer with { TextEncoder = parse.GetValue(textEncoder)! } };
            if (!resuming && parse.GetValue(boxPrior)) segConfig = segConfig with { BoxPrior = true };
            if (!resuming && parse.GetValue(highRes) is { } channels) segConfig = segConfig with { HighResChannels = channels };

            using var model = new SegSamModel(segConfig);
            if (!resuming && parse.GetValue(init) is { } initPath)
            {
                var report = SegSamCheckpoint.LoadSamWeights(model, initPath);
                Console.Error.WriteLine($"initialised SAM from {initPath}{(report.IsExact ? "" : Environment.NewLine + report.Describe())}");
            }
            if (!resuming && model.TextEnhancer is { } enhancer)
                enhancer.SetTextEmbeddings(TextEmbeddings(train.Categories, parse.GetValue(descriptions), parse.GetValue(textEncoder)!, (int)enhancer.TextDim));

            var trainer = new SegSamTrainer(model, training, train, outDir);
            var result = ConsoleProgress.Run($"training {segConfig.Sam.ImageEncoder.ImgSize}px", report =>
                trainer.Run(resuming, new SyncProgress<TrainingProgress>(p =>
                    report(p.GlobalStep, p.TotalSteps, $"epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F3}"))));
            if (parse.GetValue(json))
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(result, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            else
                Console.WriteLine($"trained {result.EpochsCompleted} epoch(s), {result.Steps} steps in {result.ElapsedSeconds / 60:F1} min" +
                    $"{(result.StoppedByBudget ? " (time budget reached)" : "")}; last epoch loss {result.LastEpochLoss:F4}; model: {result.ModelPath}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The training set: DIR/train when it exists, else DIR itself.</summary>
    static SliceDataset LoadTrainSet(string dir)
    {
        string train = Path.Combine(dir, "train");
        return SliceDataset.Load(Directory.Exists(train) ? train : dir);
    }

    static SegSamConfig ReadCheckpointConfig(string outDir) =>
        SegSamCheckpoint.ReadConfig(CheckpointedTrainer.LatestCheckpointModel(outDir));

    /// <summary>Embeds each category's description with the chosen text encoder (cached next to the descriptions).</summary>
    public static Tensor TextEmbeddings(string[] categories, string? descriptionsPath, string encoderSpec, int dimension)
    {
        string path = descriptionsPath ?? RepoPaths.Descriptions;
        var descriptions = CategoryDescriptions.Load(path);
        var encoder = new CachedTextEncoder(TextEncoders.Create(encoderSpec), CachedTextEncoder.PathNextTo(path));
        if (encoder.Dimension != dimension)
            throw new UsageException($"--text-encoder {encoderSpec} gives {encoder.Dimension}-d embeddings; the model expects {dimension}");
        var vectors = encoder.Encode(categories.Select(descriptions.TextFor).ToList());
        return tensor(vectors.SelectMany(v => v).ToArray(), [categories.Length, dimension]);
    }

    static TrainingConfig BuildTrainingConfig(System.CommandLine.ParseResult parse, Option<string?> file, Option<int?> epochs, Option<int?> batch,
        Option<int?> objects, Option<double?> boxProbability, Option<string?> optimizer, Option<double?> lr, Option<double?> weightDecay,
        Option<string?> milestones, Option<int?> warmup, Option<double?> budget, Option<bool> freeze, Option<bool> noCmsa,
        Option<bool> augment, Option<string?> schedule, Option<double?> lambdaBce, Option<ulong> seed)
    {
        var c = parse.GetValue(file) is { } path ? TrainingConfig.FromJson(InputFile.ReadAllText(path), path) : new TrainingConfig();
        c = c with
        {
            Epochs = parse.GetValue(epochs) ?? c.Epochs,
            ImagesPerBatch = parse.GetValue(batch) ?? c.ImagesPerBatch,
            ObjectsPerImage = parse.GetValue(objects) ?? c.ObjectsPerImage,
            BoxProbability = parse.GetValue(boxProbability) ?? c.BoxProbability,
            Optimizer = parse.GetValue(optimizer) ?? c.Optimizer,
            LearningRate = parse.GetValue(lr) ?? c.LearningRate,
            WeightDecay = parse.GetValue(weightDecay) ?? c.WeightDecay,
            LrMilestones = parse.GetValue(milestones) is { } m ? ParseMilestones(m) : c.LrMilestones,
            WarmupSteps = parse.GetValue(warmup) ?? c.WarmupSteps,
            TimeBudgetMinutes = parse.GetValue(budget) ?? c.TimeBudgetMinutes,
            FreezeImageEncoder = parse.GetValue(freeze) || c.FreezeImageEncoder,
            Cmsa = !parse.GetValue(noCmsa) && c.Cmsa,
            Augment = parse.GetValue(augment) || c.Augment,
            LrSchedule = parse.GetValue(schedule) ?? c.LrSchedule,
            LambdaBce = parse.GetValue(lambdaBce) ?? c.LambdaBce,
            Seed = parse.GetValue(seed),
        };
        try
        {
            c.Validate("training options");
        }
        catch (InvalidDataException e)
        {
            throw new UsageException(e.Message);
        }
        return c;
    }

    static int[] ParseMilestones(string text)
    {
        if (text == "none") return [];
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v > 0
            ? v : throw new UsageException($"--milestones expects positive epoch numbers like 5,10 or 'none', got '{text}'")).ToArray();
    }

    static string Known(string value, IReadOnlyList<string> known, string option) =>
        known.Contains(value) ? value : throw new UsageException($"{option} '{value}' is unknown; known: {string.Join(", ", known)}");
}
