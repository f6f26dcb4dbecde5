namespace SegSam.Imaging.Dicom;

/// <summary>A value of a label volume and the category it stands for (segment label, ROI name).</summary>
public sealed record LabelCategory(int Label, string Name);
