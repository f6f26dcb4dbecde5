using SegSam.Imaging;
using SegSam.Tests.Support;

namespace SegSam.Tests.Imaging;

/// <summary>A NIfTI reached through a symbolic link reads as the file itself (the size checks used to take the link's own size).</summary>
public sealed class NiftiSymlinkTests
{
    [Theory]
    [InlineData("ct.nii.gz")]
    [InlineData("ct.nii")]
    public void ASymlinkedVolumeReadsLikeItsTarget(string name)
    {
        using var dir = new TempDir();
        string target = dir.File(name), link = dir.File("link-" + name);
        NiftiFile.Write(target, TinyPgSam.HuVolume(), "int16");
        File.CreateSymbolicLink(link, target);
        Assert.Equal(MedicalImage.Load(target).Data, MedicalImage.Load(link).Data);
    }
}
