using System.CommandLine;
using System.Text.Json;
using TorchSharp;

namespace SegSam.Cli.Commands;

/// <summary>`segsam runtime`: what libtorch runs with in this process (threads, MKL's fast path and code branch), for speed reports.</summary>
public static class RuntimeCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print the facts as JSON" };
        var command = new Command("runtime", "Show libtorch's threads, whether MKL's fast path is on (and why) and the code branch MKL picked.") { json };
        command.SetAction(parse =>
        {
            string branch = MklFastPath.CodeBranch() ?? "none (this libtorch has no MKL)";
            int threads = torch.get_num_threads();
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    threads, mkl_fast_path = MklFastPath.Applied, mkl_fast_path_status = MklFastPath.Status, mkl_code_branch = branch,
                }, new JsonSerializerOptions { WriteIndented = true }));
            else
            {
                output.WriteLine($"threads         {threads}");
                output.WriteLine($"MKL fast path   {MklFastPath.Status}");
                output.WriteLine($"MKL code branch {branch}");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
