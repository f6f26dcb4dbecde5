namespace SegSam.Data.Datasets;

/// <summary>The dataset layouts `segsam prepare` converts, by name.</summary>
public static class DatasetLayouts
{
    /// <summary>Layout names and what each expects as input.</summary>
    public static IReadOnlyDictionary<string, string> Kinds { get; } = new Dictionary<string, string>
    {
        ["nnunet"] = "an nnU-Net raw dataset folder (dataset.json, imagesTr/, labelsTr/)",
        ["synapse"] = "the raw Synapse/BTCV folder (img/imgXXXX.nii.gz, label/labelXXXX.nii.gz)",
        ["transunet"] = "TransUNet's preprocessed Synapse folder (train_npz/, test_vol_h5/)",
        ["samed2d"] = "an SA-Med2D-16M folder (images/, masks/, SAMed2D_v1.json, SAMed2D_v1_class_mapping_id.json)",
        ["medsam"] = "a folder of MedSAM .npz cases (imgs, gts)",
        ["pair"] = "an image and a label map on the same grid (--image, --labels)",
    };

    /// <summary>
    /// Prepares layout <paramref name="kind"/>: from folder <paramref name="input"/>, or for
    /// "pair" from <paramref name="image"/> and <paramref name="labels"/>.
    /// </summary>
    public static DatasetSplit Prepare(string kind, string? input, LayoutOptions options, string? image = null, string? labels = null)
    {
        if (kind == "pair")
        {
            if (image is null || labels is null) throw new ArgumentException("the pair layout needs an image and a label map (--image, --labels)");
            return GenericPairDataset.Prepare(image, labels, options);
        }
        if (!Kinds.ContainsKey(kind))
            throw new ArgumentException($"unknown dataset layout '{kind}'; known: {string.Join(", ", Kinds.Keys)}");
        if (input is null) throw new ArgumentException($"the {kind} layout needs an input folder (--input): {Kinds[kind]}");
        if (!Directory.Exists(input)) throw new DirectoryNotFoundException($"{input}: no such folder ({kind} expects {Kinds[kind]})");
        if (options.Names is not null && kind is not "medsam")
            throw new ArgumentException($"a names file applies to the medsam and pair layouts; {kind} names its own categories");
        return kind switch
        {
            "nnunet" => NnUNetRawDataset.Prepare(input, options),
            "synapse" => SynapseDataset.PrepareRaw(input, options),
            "transunet" => SynapseDataset.PrepareTransUnet(input, options),
            "samed2d" => SaMed2DDataset.Prepare(input, options),
            _ => MedSamNpzDataset.Prepare(input, options),
        };
    }
}
