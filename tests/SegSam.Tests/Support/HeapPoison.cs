using static TorchSharp.torch;

namespace SegSam.Tests.Support;

/// <summary>
/// Leaves NaN in the native heap's free memory: allocates tensors of assorted sizes filled with NaN
/// and frees them. glibc hands freed chunks out again as they are, so a later allocation that a
/// kernel reads before writing (a bug) then reads NaN, which shows in its result, instead of
/// whatever finite bytes happened to lie there. A stand-in for valgrind's uninitialised-memory
/// checks that a test can afford; <c>MALLOC_PERTURB_</c> cannot do it (its fill bytes make finite floats).
/// </summary>
public static class HeapPoison
{
    /// <summary>Allocates and frees <paramref name="count"/> NaN-filled float tensors from 1 KiB to about 1 MiB.</summary>
    public static void Fill(int count = 96)
    {
        var held = new List<Tensor>(count);
        try
        {
            for (int i = 0; i < count; i++)
            {
                long floats = 256L << (i % 11); // 1 KiB … 1 MiB
                floats += 16 * (i / 11);         // and sizes in between
                held.Add(SafeMath.Full([floats], double.NaN, ScalarType.Float32));
            }
        }
        finally
        {
            foreach (var t in held) t.Dispose();
        }
    }
}
