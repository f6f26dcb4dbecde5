namespace SegSam.Batch;

/// <summary>
/// A job failed for a reason outside the job (storage unreachable, an I/O error): running it again
/// later may succeed, so the worker retries it with back-off, then dead-letters it with this message.
/// </summary>
public sealed class TransientJobException(string message, Exception? inner = null) : Exception(message, inner);
