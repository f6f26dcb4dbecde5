using System.Runtime.InteropServices;
using TorchSharp;

namespace SegSam;

/// <summary>Process-wide libtorch settings SegSam needs before the first tensor operation.</summary>
public static partial class TorchRuntime
{
    static int initialized;

    /// <summary>
    /// Disables NNPACK. On CPUs it does not support, libtorch tries to initialise it on every
    /// convolution and prints "Could not initialize NNPACK! Reason: Unsupported hardware."; the
    /// convolution falls back to the same kernels either way. TorchSharp has no binding for
    /// torch.backends.nnpack, so the two exported C++ functions are called directly.
    /// </summary>
    public static void EnsureInitialized()
    {
        if (Interlocked.Exchange(ref initialized, 1) == 1) return;
        torch.InitializeDeviceType(DeviceType.CPU);
        try
        {
            SetUserEnabledNNPACK(GlobalContext(), false);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // Another libtorch build: the warning may appear, results are unaffected.
        }
    }

    /// <summary>Sets the number of CPU threads libtorch uses for intra-op parallelism.</summary>
    public static void SetThreads(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), "thread count must be at least 1");
        torch.set_num_threads(threads);
    }

    // at::globalContext() and at::Context::setUserEnabledNNPACK(bool) (Itanium C++ ABI: `this` first).
    [LibraryImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    private static partial IntPtr GlobalContext();

    [LibraryImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static partial void SetUserEnabledNNPACK(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);
}
