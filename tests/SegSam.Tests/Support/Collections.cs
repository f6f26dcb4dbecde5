namespace SegSam.Tests.Support;

/// <summary>
/// Tests that read process-wide state (live tensor counts, the default device, libtorch's global
/// random generator) run alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Serial
{
    public const string Name = "serial";
}
