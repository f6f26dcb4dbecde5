using System.Runtime.CompilerServices;

namespace SegSam.Tests.Support;

/// <summary>
/// Some tests use TorchSharp before any SegSam type, which would load libtorch before SegSam's own
/// module initializer could choose MKL's fast path; applying it when this assembly is first touched
/// makes every test run the way SegSam's programs do.
/// </summary>
static class MklFastPathFirst
{
    [ModuleInitializer]
    internal static void Apply() => MklFastPath.Apply();
}
