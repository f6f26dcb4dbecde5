namespace SegSam.Data;

/// <summary>One prepared set (train, test, macaque): its slices, prompted objects, categories, folder ("" when empty and not written) and modality.</summary>
public sealed record PreparedSet(string Name, int Slices, int Objects, int Categories, string Folder, string Modality);
