using SegSam.Imaging;

namespace SegSam.Data.Datasets;

/// <summary>
/// Any image and label map that <see cref="MedicalImage"/> reads, on the same voxel grid (as
/// mricron's ch2 + aal). Categories come from a names file (<see cref="CategoryNames"/>; label
/// values it does not list become background), else are "label-V" for every value present.
/// One volume cannot be split by case, so slices are split as <see cref="AtlasDataset"/> splits
/// its single brain: index k ≡ 0 (mod 10) along each axis is held out, k ≡ 3…7 trains, and the
/// slices between are dropped so that no training slice neighbours a test slice. The modality is
/// the option, else CT when the image holds values below −500 (air in Hounsfield units), else MR.
/// </summary>
public static class GenericPairDataset
{

    public static DatasetSplit Prepare(string imagePath, string labelsPath, LayoutOptions options)
    {
        options.Validate();
        var image = MedicalImage.Load(imagePath);
        var labels = MedicalImage.Load(labelsPath);
        Grids.CheckSame(image, labels);
        var remap = options.Names is { } names
            ? new LabelRemap(CategoryNames.Read(names), dropUnlisted: true)
            : LabelRemap.Numbered(labels.Data.Where(v => v != 0).Select(v => (int)v));
        var coded = labels.WithData(remap.Apply(labels.Data, labelsPath), "int32");
        string modality = options.Modality ?? (VolumeIntensity.LooksLikeCt(image.Data) ? "CT" : "MR");
        var normalised = Modalities.Normalise(image, modality, options.CtWindow("abdomen"));

        string name = CaseIds.Of(imagePath);
        options.Progress?.Invoke(0, 1, name);
        var train = new SliceCollector(options.Size);
        var test = new SliceCollector(options.Size);
        train.AddVolume(name, normalised, coded, options.Axes, AtlasDataset.IsTrainSlice);
        test.AddVolume(name, normalised, coded, options.Axes, AtlasDataset.IsTestSlice);
        options.Progress?.Invoke(1, 1, "");
        return new DatasetSplit(train.Build($"{name}-train", modality, remap.Names), test.Build($"{name}-test", modality, remap.Names));
    }
}
