namespace SegSam.Text;

/// <summary>Whether a category's description was asked for in this run or already in the file.</summary>
public enum DescriptionStatus { Cached, Generated }
