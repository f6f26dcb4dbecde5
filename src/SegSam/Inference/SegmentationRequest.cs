using SegSam.Data;

namespace SegSam.Inference;

/// <summary>
/// One segmentation of one image or volume, as `segsam segment` and a batch job both describe it
/// (<see cref="SegmentationRun.Execute"/>): the input, the output folder, and either prompts for a
/// SEG-SAM model or the prompt-free settings of a PG-SAM model. Names, not parsed values, where a
/// user writes a name (axis, intensity rule, modality), so every front end gets the same checks.
/// </summary>
public sealed record SegmentationRequest(string Input, string OutputDir)
{
    /// <summary>SEG-SAM: one object per prompt, on <see cref="Slice"/>.</summary>
    public IReadOnlyList<SamPrompt> Prompts { get; init; } = [];

    /// <summary>SEG-SAM: the prompted slice (axis, index); default the middle axial slice.</summary>
    public (int Axis, int Index)? Slice { get; init; }

    /// <summary>SEG-SAM: follow each object through the volume.</summary>
    public bool Propagate { get; init; }

    /// <summary>SEG-SAM: first and last slice (inclusive) propagation may reach.</summary>
    public (int First, int Last)? Range { get; init; }

    /// <summary>SEG-SAM: CT or MR (default: guessed from the values).</summary>
    public string? Modality { get; init; }

    /// <summary>A CT window (level, width in HU) for either model.</summary>
    public (double Level, double Width)? Window { get; init; }

    /// <summary>SEG-SAM: answer each prompt on the slice and on its mirror, averaged (<see cref="SessionOptions.TestTimeMirroring"/>); null: as the model's config says.</summary>
    public bool? TestTimeMirroring { get; init; }

    /// <summary>PG-SAM: axial (default), coronal or sagittal.</summary>
    public string? Axis { get; init; }

    /// <summary>PG-SAM: the intensity rule, ct or mr (<see cref="VolumeIntensity.ForPgSam"/>).</summary>
    public string? Intensity { get; init; }

    /// <summary>PG-SAM: per-slice descriptions, a JSON file or a folder of ID.txt.</summary>
    public string? DescriptionsPath { get; init; }

    /// <summary>What to write: labels.nii.gz and/or the DICOM SEG and RTSTRUCT (DICOM inputs only).</summary>
    public ExportFormats Formats { get; init; } = ExportFormats.Nifti;

    /// <summary>The model's name for the DICOM objects' algorithm identification (e.g. the model file's stem).</summary>
    public string? ModelName { get; init; }
}
