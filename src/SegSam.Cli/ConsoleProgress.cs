using Spectre.Console;

namespace SegSam.Cli;

/// <summary>
/// Progress for long commands: a Spectre.Console bar with ETA on a terminal; when output is
/// redirected (logs, CI, tests), a plain line now and then instead of control characters.
/// </summary>
public static class ConsoleProgress
{
    public static bool Interactive => !Console.IsOutputRedirected && !Console.IsErrorRedirected;

    /// <summary>
    /// Runs <paramref name="work"/> with a callback (done, total, status) that moves one bar.
    /// </summary>
    public static T Run<T>(string title, Func<Action<double, double, string>, T> work)
    {
        if (!Interactive)
        {
            int lastDecile = -1;
            return work((done, total, status) =>
            {
                int decile = total > 0 ? (int)(10 * done / total) : 0;
                if (decile == lastDecile && done < total) return;
                lastDecile = decile;
                Console.Error.WriteLine($"{title}: {done:0}/{total:0} {status}".TrimEnd());
            });
        }
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(title));
                result = work((done, total, status) =>
                {
                    task.MaxValue = Math.Max(total, 1);
                    task.Value = done;
                    task.Description = Markup.Escape(string.IsNullOrEmpty(status) ? title : $"{title} {status}");
                });
                task.Value = task.MaxValue;
            });
        return result;
    }
}
