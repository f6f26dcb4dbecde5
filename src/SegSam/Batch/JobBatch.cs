using System.Text;
using System.Text.Json;
using SegSam.Data;

namespace SegSam.Batch;

/// <summary>
/// The jobs of `segsam submit --images DIR`: one per volume in the folder (a NIfTI, MetaImage or
/// NRRD file, or a sub-folder holding a DICOM series), in name order, each with the settings of a
/// template job. A job's id is the volume's case id (<see cref="CaseIds.Of"/>, characters a folder name
/// cannot safely hold replaced by '_'), so submitting the same folder again names the same jobs and
/// the same output folders.
/// </summary>
public static class JobBatch
{
    static readonly string[] VolumeExtensions = [".nii", ".nii.gz", ".mha", ".mhd", ".nrrd", ".nhdr"];

    /// <summary>
    /// One job per volume of <paramref name="imagesDir"/> like <paramref name="template"/> (its id and
    /// input are replaced). <paramref name="promptsPerVolume"/>, when given, holds each volume's prompts
    /// by file name (or job id, or case id) and must have an entry for every volume.
    /// </summary>
    public static IReadOnlyList<SegmentationJob> FromFolder(string imagesDir, SegmentationJob template, IReadOnlyDictionary<string, JobPrompts>? promptsPerVolume = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (!Directory.Exists(imagesDir)) throw new DirectoryNotFoundException($"image folder not found: {imagesDir}");
        string root = Path.GetFullPath(imagesDir);
        var volumes = Directory.EnumerateFiles(root).Where(f => VolumeExtensions.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            .Concat(Directory.EnumerateDirectories(root).Where(d => Directory.EnumerateFiles(d).Any()))
            .Order(StringComparer.Ordinal).ToList();
        if (volumes.Count == 0) throw new InvalidDataException($"{imagesDir}: no volumes (NIfTI, MetaImage or NRRD files, or DICOM series folders)");
        var seen = new Dictionary<string, string>();
        var jobs = new List<SegmentationJob>();
        foreach (string volume in volumes)
        {
            string id = JobIdOf(volume);
            if (seen.TryGetValue(id, out var other))
                throw new InvalidDataException($"{Path.GetFileName(other)} and {Path.GetFileName(volume)} would both be job {id} (one output folder); rename one");
            seen[id] = volume;
            var prompts = template.Prompts;
            if (promptsPerVolume is not null)
            {
                string name = Path.GetFileName(volume);
                if (!promptsPerVolume.TryGetValue(name, out prompts) && !promptsPerVolume.TryGetValue(id, out prompts) && !promptsPerVolume.TryGetValue(CaseIds.Of(volume), out prompts))
                    throw new InvalidDataException($"the prompts file has no entry for {name}");
            }
            var job = template with { JobId = id, Input = volume, Prompts = prompts };
            job.Check();
            jobs.Add(job);
        }
        return jobs;
    }

    /// <summary>The case id of a volume as a job id: letters, digits, '.', '_' and '-' kept, anything else '_'.</summary>
    public static string JobIdOf(string volume)
    {
        var id = new StringBuilder();
        foreach (char c in CaseIds.Of(volume)) id.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_');
        if (id.Length == 0 || id[0] == '.') id.Insert(0, '_');
        return id.Length > 128 ? id.ToString(0, 128) : id.ToString();
    }

    /// <summary>A prompts file: a JSON object from volume file name (or job id) to its <see cref="JobPrompts"/>.</summary>
    public static IReadOnlyDictionary<string, JobPrompts> ReadPrompts(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, JobPrompts>>(File.ReadAllBytes(path), SegmentationJob.Json)
                ?? throw new InvalidDataException($"{path}: empty prompts file");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a prompts file (a JSON object: volume file name → {{\"slice\", \"boxes\", \"points\", \"propagate\", \"range\"}}): {e.Message}", e);
        }
    }
}
