using System.Diagnostics;

namespace SegSam.Tests.Support;

/// <summary>
/// Runs a piece of reading code on its own thread with a time limit, recording what it threw and
/// how many bytes it allocated (on that thread), so a hang or a memory blow-up on hostile input
/// fails a test instead of stalling or exhausting the test run.
/// </summary>
public static class Bounded
{
    public sealed record Outcome(Exception? Error, long AllocatedBytes, bool TimedOut, TimeSpan Elapsed)
    {
        public override string ToString() =>
            TimedOut ? $"still running after {Elapsed.TotalSeconds:0.#} s"
            : $"{(Error is null ? "success" : $"{Error.GetType().Name}: {Error.Message}")} ({AllocatedBytes / 1048576.0:0.#} MiB, {Elapsed.TotalMilliseconds:0} ms)";
    }

    public static Outcome Run(Action action, TimeSpan timeout)
    {
        Exception? error = null;
        long allocated = 0;
        var thread = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { action(); }
            catch (Exception e) { error = e; }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }) { IsBackground = true };
        var clock = Stopwatch.StartNew();
        thread.Start();
        bool finished = thread.Join(timeout);
        return new Outcome(error, allocated, !finished, clock.Elapsed);
    }

    /// <summary>Runs <paramref name="action"/> and asserts it threw <typeparamref name="T"/> (or a subclass) within the time limit.</summary>
    public static T Throws<T>(Action action, double seconds = 10) where T : Exception
    {
        var outcome = Run(action, TimeSpan.FromSeconds(seconds));
        Assert.False(outcome.TimedOut, $"did not finish within {seconds} s");
        return Assert.IsAssignableFrom<T>(outcome.Error ?? throw new Xunit.Sdk.XunitException($"expected {typeof(T).Name}, but it succeeded"));
    }
}
