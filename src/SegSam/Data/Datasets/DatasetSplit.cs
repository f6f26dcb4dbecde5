namespace SegSam.Data.Datasets;

/// <summary>The training and held-out sets of a prepared layout.</summary>
public sealed record DatasetSplit(SliceDataset Train, SliceDataset Test);
