namespace SegSam.Tests.Support;

/// <summary>
/// oneDNN off until disposed, as <c>PgSamTrainer</c> trains: oneDNN's convolution backward gives
/// NaN gradients for PG-SAM's head at some initialisations. The switch is process-wide, so only
/// tests in the serial collection may use it.
/// </summary>
public static class OneDnn
{
    public static IDisposable Off()
    {
        TorchRuntime.SetMkldnn(false);
        return new Restore();
    }

    sealed class Restore : IDisposable
    {
        public void Dispose() => TorchRuntime.SetMkldnn(true);
    }
}
