using System.CommandLine;
using System.Globalization;
using SegSam.Data;
using SegSam.Modeling;
using SegSam.Text;
using SegSam.Training;
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
        var init = new Option<string?>("--init") { Description = "Initialise the SAM part from a released checkpoint (SAM, MedSAM, SAM-Med2D .pth or .safetensors), or the whole model from a SEG-SAM model (fine-tuning; its config is the run's); pgsam: also a SEG-SAM model (its encoder, prompt encoder and decoder transformer)" };
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
        var boxCandidates = new Option<bool>("--box-candidates") { Description = "Train SAM's three candidate masks on boxes too and answer a box with the mask of highest predicted IoU among all four (for boxes that do not say which object; also when fine-tuning)" };
        var boxCandidateTokens = new Option<bool>("--box-candidate-tokens") { Description = "Box candidates with three mask tokens of their own instead of the click candidates (implies --box-candidates; fine-tuning a model without them starts them as copies of its click candidates)" };
        var imgSize = new Option<int?>("--img-size") { Description = "Input size of the model when it differs from the preset's or the --init model's, e.g. 256 to fine-tune a 128² model on slices prepared at 256 (the encoder's position embeddings are resized, as SAM-Med2D does)" };
        var allIou = new Option<bool>("--supervise-all-iou") { Description = "Train the IoU head on every candidate mask, not only the one trained (so that the highest predicted IoU picks well)" };
        var augment = new Option<bool>("--augment") { Description = "Random rotation/scale/shift and intensity changes of training slices" };
        var appearance = new Option<bool>("--augment-appearance") { Description = "Scanner/subject changes of training slices: brain-only (skull stripped), gamma, bias field, blur, noise" };
        var contrast = new Option<bool>("--augment-contrast") { Description = "Another T1 contrast for half of the training slices: a random increasing grey-level curve that moves tissues apart or together" };
        var reclassify = new Option<bool>("--reclassify-tissue") { Description = "Make the intensity-class objects (tissue-2/3/4 and the pieces) again from each augmented training image, so that they follow its grey levels" };
        var flip = new Option<bool>("--flip-lr") { Description = "Mirror half of the training slices left/right, swapping …_L and …_R categories" };
        var agnosticShare = new Option<double?>("--agnostic-share") { Description = "Share of prompted objects drawn from the data's class-agnostic objects (tissue classes, brain, other atlases; default 0)" };
        var agnosticWeights = new Option<string?>("--agnostic-weights") { Description = "Relative weights of the object maps when a class-agnostic object is drawn, NAME=W,… (maps not named: 1), e.g. tissue-3=3,brain=3" };
        var pointAgnosticShare = new Option<double?>("--point-agnostic-share") { Description = "Share of class-agnostic objects on click steps (default: --agnostic-share's); 0 keeps lone clicks on the data's own categories" };
        var interiorClicks = new Option<double?>("--interior-clicks") { Description = "Share of training clicks drawn from the object's core (at least half as deep as its deepest pixel) instead of anywhere in it (default 0)" };
        var trainOnly = new Option<string?>("--train-only") { Description = "Train only these parts of the model, comma-separated state-dict prefixes (e.g. box_candidate_tokens: box candidates only, every click answer stays as it was; pair it with --box-prob 1)" };
        var boxTeacher = new Option<string?>("--box-teacher") { Description = "Keep this model's answers to boxes while the run trains (usually the --init model): on box steps the model also learns its masks and IoUs (learning without forgetting)" };
        var boxTeacherWeight = new Option<double?>("--box-teacher-weight") { Description = "Weight of the box teacher's term on box steps (default 20, the focal term's)" };
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
            weightDecay, milestones, warmup, budget, freeze, noCmsa, boxPrior, highRes, boxCandidates, boxCandidateTokens, imgSize, allIou, augment, appearance, contrast, reclassify, flip, agnosticShare, agnosticWeights, pointAgnosticShare, interiorClicks, trainOnly, boxTeacher, boxTeacherWeight, schedule, lambdaBce, descriptions, textEncoder, classes, fraction, imageDescriptions, loraRank,
            clip, clipLoraRank, noPrior, noFusion, refine, seed, resume, json,
        };
        command.SetAction(parse =>
        {
            string which = parse.GetValue(method)!;
            if (which is not ("segsam" or "pgsam")) throw new UsageException($"--model '{which}' is unknown; known: segsam, pgsam");
            Option[] segsamOnly = [variant, config, trainingConfig, objects, boxProbability, optimizer, milestones, freeze, noCmsa, boxPrior, highRes, boxCandidates, boxCandidateTokens, imgSize, allIou, appearance, contrast, reclassify, flip, agnosticShare, agnosticWeights, pointAgnosticShare, interiorClicks, trainOnly, boxTeacher, boxTeacherWeight, schedule, lambdaBce, descriptions];
            Option[] pgsamOnly = [classes, fraction, imageDescriptions, loraRank, clip, clipLoraRank, noPrior, noFusion, refine];
            foreach (var option in which == "pgsam" ? segsamOnly : pgsamOnly)
                if (Given(parse, option)) throw new UsageException($"{option.Name} does not apply to --model {which}");
            return which == "pgsam" ? TrainPgSam(parse) : TrainSegSam(parse);
        });
        return command;

        int TrainSegSam(ParseResult parse)
        {
            var train = SliceDataset.LoadSplit(parse.GetValue(data)!, "train");
            var training = SegSamTrainingConfig(parse);
            bool resuming = parse.GetValue(resume);
            // A checkpoint or a config file names the model itself; only a new one from a preset needs these.
            if (!resuming && parse.GetValue(config) is null)
            {
                Known(parse.GetValue(modelType)!, SamConfig.PresetNames, "--model-type");
                Known(parse.GetValue(variant)!, SegSamConfig.VariantNames, "--variant");
            }
            var options = new SegSamTrainingOptions
            {
                OutputFolder = parse.GetValue(output)!, Training = training, Resume = resuming,
                ModelType = parse.GetValue(modelType)!, Variant = parse.GetValue(variant)!, ConfigPath = parse.GetValue(config),
                InitPath = parse.GetValue(init), TextEncoder = parse.GetValue(textEncoder)!,
                DescriptionsPath = parse.GetValue(descriptions) ?? RepoPaths.Descriptions,
                BoxPrior = parse.GetValue(boxPrior), HighResChannels = parse.GetValue(highRes), BoxCandidates = parse.GetValue(boxCandidates), BoxCandidateTokens = parse.GetValue(boxCandidateTokens),
                ImageSize = parse.GetValue(imgSize),
            };
            using var run = SegSamTrainingRun.Prepare(train, options, Console.Error.WriteLine);
            var result = TrainWithProgress($"training {run.ImageSize}px", progress => run.Train(progress));
            if (parse.GetValue(json)) PrintJson(result);
            else
                Console.WriteLine($"trained {result.EpochsCompleted} epoch(s), {result.Steps} steps in {result.ElapsedSeconds / 60:F1} min" +
                    $"{(result.StoppedByBudget ? " (time budget reached)" : "")}; last epoch loss {result.LastEpochLoss:F4}; model: {result.ModelPath}");
            return ExitCodes.Success;
        }

        int TrainPgSam(ParseResult parse)
        {
            var training = new PgSamTrainingConfig
            {
                Seed = parse.GetValue(seed), Augment = parse.GetValue(augment), TimeBudgetMinutes = parse.GetValue(budget),
            };
            training = training with
            {
                Epochs = parse.GetValue(epochs) ?? training.Epochs,
                ImagesPerBatch = parse.GetValue(batch) ?? training.ImagesPerBatch,
                LearningRate = parse.GetValue(lr) ?? training.LearningRate,
                WeightDecay = parse.GetValue(weightDecay) ?? training.WeightDecay,
                WarmupSteps = parse.GetValue(warmup) ?? training.WarmupSteps,
                Fraction = parse.GetValue(fraction) ?? training.Fraction,
            };
            Validated(training);
            if (parse.GetValue(loraRank) is < 0) throw new UsageException("--lora-rank must be >= 0");
            if (parse.GetValue(clipLoraRank) is < 0) throw new UsageException("--clip-lora-rank must be >= 0");
            if (parse.GetValue(refine) is < 0) throw new UsageException("--refine-iterations must be >= 0");
            string? clipPath = parse.GetValue(clip);
            bool textEncoderGiven = Given(parse, textEncoder);
            if (clipPath is not null && textEncoderGiven) throw new UsageException("--clip and --text-encoder exclude each other: with --clip the text features are CLIP's");
            if (clipPath is null && Given(parse, clipLoraRank)) throw new UsageException("--clip-lora-rank needs --clip");
            if (clipPath is not null && parse.GetValue(noPrior)) throw new UsageException("--clip feeds the prior, which --no-prior turns off");
            var train = SliceDataset.LoadSplit(parse.GetValue(data)!, "train");
            string grouping = Known(parse.GetValue(classes)!, ClassGrouping.Names, "--classes");
            bool resuming = parse.GetValue(resume);
            // A resumed run's checkpoint names its model; a new one is checked before any work.
            if (!resuming && Given(parse, modelType)) Known(parse.GetValue(modelType)!, SamConfig.PresetNames, "--model-type");
            if (!resuming && textEncoderGiven) CheckTextEncoder(parse.GetValue(textEncoder)!);
            var options = new PgSamTrainingOptions
            {
                OutputFolder = parse.GetValue(output)!, Training = training, Resume = resuming, Classes = grouping,
                ModelType = Given(parse, modelType) ? parse.GetValue(modelType) : null, InitPath = parse.GetValue(init),
                TextEncoder = textEncoderGiven ? parse.GetValue(textEncoder) : null, ClipPath = clipPath,
                LoraRank = parse.GetValue(loraRank), ClipLoraRank = parse.GetValue(clipLoraRank),
                ImageDescriptionsPath = parse.GetValue(imageDescriptions),
                Prior = !parse.GetValue(noPrior), Fusion = !parse.GetValue(noFusion), RefineIterations = parse.GetValue(refine),
            };
            using var run = PgSamTrainingRun.Prepare(train, options, Console.Error.WriteLine);
            var result = TrainWithProgress($"training PG-SAM {run.ImageSize}px on {run.TrainingSlices} slices", progress => run.Train(progress));
            if (parse.GetValue(json)) PrintJson(result);
            else
                Console.WriteLine($"trained {result.EpochsCompleted} epoch(s), {result.Steps} steps on {run.TrainingSlices} slices in {result.ElapsedSeconds / 60:F1} min" +
                    $"{(result.StoppedByBudget ? " (time budget reached)" : "")}; last epoch loss {result.LastEpochLoss:F4}; model: {result.ModelPath}");
            return ExitCodes.Success;
        }

        TrainingConfig SegSamTrainingConfig(ParseResult parse)
        {
            var c = parse.GetValue(trainingConfig) is { } path ? TrainingConfig.FromJson(InputFile.ReadAllText(path), path) : new TrainingConfig();
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
                SuperviseAllIou = parse.GetValue(allIou) || c.SuperviseAllIou,
                Augment = parse.GetValue(augment) || c.Augment,
                AugmentAppearance = parse.GetValue(appearance) || c.AugmentAppearance,
                AugmentContrast = parse.GetValue(contrast) || c.AugmentContrast,
                ReclassifyTissue = parse.GetValue(reclassify) || c.ReclassifyTissue,
                FlipLeftRight = parse.GetValue(flip) || c.FlipLeftRight,
                AgnosticShare = parse.GetValue(agnosticShare) ?? c.AgnosticShare,
                AgnosticMapWeights = parse.GetValue(agnosticWeights) is { } w ? ParseWeights(w) : c.AgnosticMapWeights,
                PointAgnosticShare = parse.GetValue(pointAgnosticShare) ?? c.PointAgnosticShare,
                InteriorClickShare = parse.GetValue(interiorClicks) ?? c.InteriorClickShare,
                TrainOnly = parse.GetValue(trainOnly) is { } parts ? parts.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : c.TrainOnly,
                BoxTeacher = parse.GetValue(boxTeacher) ?? c.BoxTeacher,
                BoxTeacherWeight = parse.GetValue(boxTeacherWeight) ?? c.BoxTeacherWeight,
                LrSchedule = parse.GetValue(schedule) ?? c.LrSchedule,
                LambdaBce = parse.GetValue(lambdaBce) ?? c.LambdaBce,
                Seed = parse.GetValue(seed),
            };
            Validated(c);
            return c;
        }
    }

    /// <summary>NAME=W,… as a dictionary; a usage error naming the bad entry otherwise.</summary>
    static Dictionary<string, double> ParseWeights(string text)
    {
        var weights = new Dictionary<string, double>();
        foreach (var entry in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split('=', StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0
                || !double.TryParse(parts[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double w)
                || !(w >= 0) || !double.IsFinite(w))
                throw new UsageException($"--agnostic-weights: '{entry}' is not NAME=WEIGHT with a non-negative weight");
            weights[parts[0]] = w;
        }
        return weights;
    }

    static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    /// <summary>A training config the options made invalid is a usage error.</summary>
    static void Validated(IValidatedConfig config)
    {
        try
        {
            config.Validate("training options");
        }
        catch (InvalidDataException e)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>A malformed --text-encoder spec as a usage error (the run builds its own encoder).</summary>
    static void CheckTextEncoder(string spec)
    {
        try
        {
            TextEncoders.Create(spec);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--text-encoder: {e.Message}");
        }
    }

    /// <summary>Runs <paramref name="train"/> under a progress bar titled <paramref name="title"/>.</summary>
    static TrainingResult TrainWithProgress(string title, Func<IProgress<TrainingProgress>, TrainingResult> train) =>
        ConsoleProgress.Run(title, report =>
            train(new SyncProgress<TrainingProgress>(p => report(p.GlobalStep, p.TotalSteps, $"epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F3}"))));

    static void PrintJson(TrainingResult result) =>
        Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(result, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

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
