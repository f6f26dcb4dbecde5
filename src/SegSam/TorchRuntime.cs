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
        KeepFreedMemoryInProcess();
        try
        {
            SetUserEnabledNNPACK(GlobalContext(), false);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // Another libtorch build: the warning may appear, results are unaffected.
        }
    }

    /// <summary>
    /// libtorch allocates its CPU tensors with glibc malloc, which by default maps every block over
    /// 128 KiB freshly from the kernel and unmaps it on free: each forward pass then pays a page
    /// fault per 4 KiB of every activation (here: 11 ms to allocate and fill a 7 MB tensor, against
    /// 0.1 ms for the same add in place). Raising the mmap and trim thresholds to their maximum
    /// (32 MiB) lets freed blocks be reused from the heap, the effect PyTorch users get from
    /// jemalloc or tcmalloc. Blocks over 32 MiB would still be mapped per call (a ViT-B global
    /// block at 1024² allocates hundreds of them), so mmap is switched off for malloc altogether
    /// (M_MMAP_MAX = 0): ViT-B's 1024² encoder ran in 4.9 s instead of 8.6 s in one bench run, peak
    /// RSS about the same. The cost: a freed block in the middle of the heap goes back to the
    /// kernel only when the heap's top is trimmed, so a long-lived process keeps its high-water mark.
    /// </summary>
    static void KeepFreedMemoryInProcess()
    {
        if (!OperatingSystem.IsLinux()) return;
        const int M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3, M_MMAP_MAX = -4;
        const int MaxMmapThreshold = 32 * 1024 * 1024;
        try
        {
            Mallopt(M_MMAP_THRESHOLD, MaxMmapThreshold);
            Mallopt(M_TRIM_THRESHOLD, 2 * MaxMmapThreshold);
            Mallopt(M_MMAP_MAX, 0);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // Not glibc (e.g. musl): keep the allocator's defaults.
        }
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int param, int value);

    /// <summary>
    /// The most threads <see cref="SetThreads"/> accepts: four per CPU this process may use, at least
    /// 16. More only make libtorch's thread pool spin (1,000 on 2 cores turned a 0.4 s `info` into
    /// 15 s; 100,000 never finished).
    /// </summary>
    public static int MaxThreads => Math.Max(16, 4 * Environment.ProcessorCount);

    /// <summary>Sets the number of CPU threads libtorch uses for intra-op parallelism (1 to <see cref="MaxThreads"/>).</summary>
    public static void SetThreads(int threads)
    {
        if (threads < 1 || threads > MaxThreads)
            throw new ArgumentOutOfRangeException(nameof(threads), threads, $"thread count must be from 1 to {MaxThreads} (four per CPU here)");
        torch.set_num_threads(threads);
    }

    // at::globalContext() and at::Context::setUserEnabledNNPACK(bool) (Itanium C++ ABI: `this` first).
    [LibraryImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")]
    private static partial IntPtr GlobalContext();

    /// <summary>Turns libtorch's oneDNN (MKL-DNN) kernels on or off (torch.backends.mkldnn.enabled).</summary>
    public static void SetMkldnn(bool enabled)
    {
        EnsureInitialized();
        SetUserEnabledMkldnn(GlobalContext(), enabled);
    }

    [LibraryImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    private static partial void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [LibraryImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static partial void SetUserEnabledNNPACK(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);
}
