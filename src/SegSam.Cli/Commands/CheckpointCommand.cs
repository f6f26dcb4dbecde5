using System.CommandLine;
using System.Text.Json;
using SegSam.Checkpoints;

namespace SegSam.Cli.Commands;

/// <summary>
/// `segsam checkpoint inspect`: the tensors of a .pth or .safetensors file; `segsam checkpoint mirroring`: a SEG-SAM
/// model's default for test-time mirroring.
/// </summary>
public static class CheckpointCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A .pth/.pt (torch.save) or .safetensors file" };
        var json = new Option<bool>("--json") { Description = "Print the tensor list as JSON" };
        var inspect = new Command("inspect", "List the tensors (name, dtype, shape) of a checkpoint without loading a model.") { file, json };
        inspect.SetAction(parse =>
        {
            string path = parse.GetValue(file)!;
            var tensors = CheckpointFile.Inspect(path);
            var metadata = CheckpointFile.ReadMetadata(path);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    file = path,
                    format = CheckpointFile.DetectFormat(path).ToString(),
                    tensors = tensors.Select(t => new { name = t.Name, dtype = t.DType, shape = t.Shape }),
                    metadata,
                }, new JsonSerializerOptions { WriteIndented = true }));
                return ExitCodes.Success;
            }
            int nameWidth = Math.Min(72, tensors.Select(t => t.Name.Length).DefaultIfEmpty(4).Max());
            foreach (var t in tensors)
                Console.WriteLine($"{t.Name.PadRight(nameWidth)}  {t.DType,-8}  {Shapes.Format(t.Shape)}");
            long elements = tensors.Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));
            Console.WriteLine($"{tensors.Count} tensors, {elements:N0} elements ({CheckpointFile.DetectFormat(path)})");
            foreach (var (key, value) in metadata)
                Console.WriteLine($"metadata {key}: {(value.Length > 80 ? value[..77] + "..." : value)}");
            return ExitCodes.Success;
        });
        return new Command("checkpoint", "Checkpoint utilities.") { inspect, Mirroring() };
    }

    static Command Mirroring()
    {
        var file = new Argument<string>("file") { Description = "A SEG-SAM model (.safetensors)" };
        var state = new Argument<string>("state") { Description = "on or off" };
        var output = new Option<string?>("--out") { Description = "Write the changed model here (default: replace the file)" };
        var command = new Command("mirroring", "Set whether a SEG-SAM model answers prompts with test-time mirroring by default (--mirror/--no-mirror still choose per run); weights and training facts unchanged.")
        {
            file, state, output,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(file)!;
            bool on = parse.GetValue(state) switch
            {
                "on" => true,
                "off" => false,
                var other => throw new UsageException($"mirroring: the state is on or off, got '{other}'"),
            };
            string target = parse.GetValue(output) ?? path;
            SegSamCheckpoint.SetTestTimeMirroring(path, on, target);
            Console.WriteLine($"{target}: test-time mirroring {(on ? "on" : "off")} by default");
            return ExitCodes.Success;
        });
        return command;
    }
}
