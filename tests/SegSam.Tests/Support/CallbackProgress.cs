namespace SegSam.Tests.Support;

/// <summary>An IProgress that calls back on the reporting thread (Progress&lt;T&gt; would post to the thread pool, too late to act on a step).</summary>
public sealed class CallbackProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
