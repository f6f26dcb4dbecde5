using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace SegSam;

/// <summary>
/// Lets the MKL inside libtorch_cpu.so use its AVX2/AVX-512 kernels on AMD CPUs, where it would
/// otherwise run a generic path (float32 matmul at 2048³: 147 → 270 GFLOP/s on a 2-core AMD EPYC,
/// issue 13). MKL asks its exported function mkl_serv_intel_cpu_true() whether the CPU is Intel's;
/// libtorch_cpu.so calls it through its PLT (`readelf -r`: an R_X86_64_JUMP_SLOT relocation), so
/// the dynamic linker binds it to the first definition in the global lookup scope, which an
/// RTLD_GLOBAL library loaded earlier joins ahead of libtorch's own (ld.so(8), dlopen(3)). SegSam
/// therefore loads libsegsam_mklcpu.so (build/MklFastPath/segsam_mklcpu.c: returns 1) with
/// RTLD_GLOBAL when its assembly is first touched, before TorchSharp loads libtorch. MKL then picks
/// kernels by the CPU's feature flags, so AVX-512 runs only where the CPU has it.
/// Applied by default on AMD (AuthenticAMD) x86-64 Linux, the case measured; on Intel CPUs MKL's
/// own answer is already "yes". SEGSAM_MKL_FAST_PATH=0 turns it off, =1 applies it on any x86-64
/// CPU. It cannot act once libtorch_cpu.so is loaded; <see cref="Status"/> says what happened.
/// </summary>
public static partial class MklFastPath
{
    /// <summary>The environment variable that turns the fast path off (0) or forces it on (1).</summary>
    public const string Switch = "SEGSAM_MKL_FAST_PATH";

    /// <summary>The shim's file name, next to libtorch's natives in the output folder.</summary>
    public const string ShimFileName = "libsegsam_mklcpu.so";

    const int RTLD_LAZY = 0x1, RTLD_NOW = 0x2, RTLD_NOLOAD = 0x4, RTLD_GLOBAL = 0x100; // glibc <dlfcn.h>, x86-64

    static readonly Lock gate = new();
    static string? status;
    static bool applied;

    /// <summary>Runs before any other code of this assembly, hence before SegSam can load libtorch.</summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "MKL's dispatch is fixed when libtorch loads; only a module initializer runs early enough for every program using SegSam.")]
    internal static void OnAssemblyLoad() => Apply();

    /// <summary>Whether the shim was loaded before libtorch, so MKL takes its fast path.</summary>
    public static bool Applied { get { Apply(); return applied; } }

    /// <summary>One line saying whether the fast path is in effect and why (switch, CPU, missing shim, too late).</summary>
    public static string Status { get { Apply(); return status!; } }

    /// <summary>
    /// Decides and, where it applies, loads the shim; later calls change nothing. Programs that may
    /// touch TorchSharp before SegSam call this first (the module initializer covers the rest).
    /// </summary>
    public static void Apply()
    {
        lock (gate)
        {
            if (status is not null) return;
            try
            {
                (applied, status) = Decide();
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
            {
                (applied, status) = (false, $"unavailable: no dlopen in this C library ({e.Message})");
            }
        }
    }

    /// <summary>Reads the switch: null (unset or empty) = by CPU, false = off, true = on any x86-64 CPU.</summary>
    public static bool? ParseSwitch(string? value) => value?.Trim() switch
    {
        null or "" => null,
        "0" => false,
        "1" => true,
        _ => throw new ArgumentException($"{Switch} must be 0 (off) or 1 (on), not '{value}'"),
    };

    static (bool Applied, string Status) Decide()
    {
        bool? wanted;
        try
        {
            wanted = ParseSwitch(Environment.GetEnvironmentVariable(Switch));
        }
        catch (ArgumentException e)
        {
            return (false, $"off: {e.Message}");
        }
        if (wanted == false) return (false, $"off: {Switch}=0");
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return (false, "not applied: the shim is for x86-64 Linux, where libtorch bundles MKL");
        string vendor = CpuVendor();
        if (wanted is null && vendor == "GenuineIntel")
            return (false, "not applied: GenuineIntel CPU, where MKL takes its fast path anyway");
        if (wanted is null && vendor != "AuthenticAMD")
            return (false, $"not applied: {vendor} CPU (measured on AMD only; {Switch}=1 applies it)");
        if (LibtorchLoaded())
            return (false, "too late: libtorch_cpu.so was loaded before SegSam; call SegSam.MklFastPath.Apply() before any TorchSharp use");
        string? shim = FindShim();
        if (shim is null)
            return (false, $"unavailable: {ShimFileName} is not next to SegSam.dll (the build needs a C compiler, cc)");
        if (DlOpen(shim, RTLD_NOW | RTLD_GLOBAL) == IntPtr.Zero)
            return (false, $"unavailable: could not load {shim}: {Marshal.PtrToStringUTF8(DlError())}");
        return (true, $"on: {ShimFileName} loaded before libtorch ({vendor} CPU); MKL picks kernels by the CPU's features");
    }

    /// <summary>The CPUID vendor string (leaf 0: EBX, EDX, ECX), e.g. AuthenticAMD or GenuineIntel.</summary>
    static string CpuVendor()
    {
        if (!X86Base.IsSupported) return "unknown";
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        var bytes = new byte[12];
        BitConverter.TryWriteBytes(bytes.AsSpan(0), ebx);
        BitConverter.TryWriteBytes(bytes.AsSpan(4), edx);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), ecx);
        return Encoding.ASCII.GetString(bytes);
    }

    /// <summary>Whether libtorch_cpu.so is in the process: dlopen with RTLD_NOLOAD matches loaded objects by SONAME.</summary>
    static bool LibtorchLoaded()
    {
        IntPtr handle = DlOpen("libtorch_cpu.so", RTLD_LAZY | RTLD_NOLOAD);
        if (handle == IntPtr.Zero) return false;
        DlClose(handle);
        return true;
    }

    static string? FindShim()
    {
        string?[] folders = [Path.GetDirectoryName(typeof(MklFastPath).Assembly.Location), AppContext.BaseDirectory];
        return folders.Where(f => !string.IsNullOrEmpty(f))
            .SelectMany(f => new[] { Path.Combine(f!, ShimFileName), Path.Combine(f!, "runtimes", "linux-x64", "native", ShimFileName) })
            .FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// The code branch MKL picks on this CPU, by the MKL_CBWR_* names of oneMKL's mkl_types.h
    /// (AVX2 = 10, AVX512 = 12, AVX512_E1 = 14), read from libtorch_cpu.so's exported
    /// mkl_serv_cbwr_get_auto_branch(). On AMD without the fast path MKL answers 2 (AUTO): it picks
    /// no Intel branch. Loads libtorch. Null where this libtorch has no MKL.
    /// </summary>
    public static string? CodeBranch()
    {
        TorchRuntime.EnsureInitialized();
        int branch;
        try
        {
            branch = CbwrAutoBranch();
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
        return branch switch
        {
            1 => "BRANCH_OFF", 2 => "AUTO", 3 => "COMPATIBLE", 4 => "SSE2", 5 => "SSE3", 6 => "SSSE3", 7 => "SSE4_1",
            8 => "SSE4_2", 9 => "AVX", 10 => "AVX2", 11 => "AVX512_MIC", 12 => "AVX512", 13 => "AVX512_MIC_E1", 14 => "AVX512_E1",
            _ => branch.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    [LibraryImport("libtorch_cpu", EntryPoint = "mkl_serv_cbwr_get_auto_branch")]
    private static partial int CbwrAutoBranch();

    // dlopen/dlclose/dlerror live in libc from glibc 2.34 (Debian 12 has 2.36); libtorch needs glibc.
    [LibraryImport("libc", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr DlOpen(string file, int mode);

    [LibraryImport("libc", EntryPoint = "dlclose")]
    private static partial int DlClose(IntPtr handle);

    [LibraryImport("libc", EntryPoint = "dlerror")]
    private static partial IntPtr DlError();
}
