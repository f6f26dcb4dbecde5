using Microsoft.Extensions.Hosting;

namespace SegSam.Server;

/// <summary>Expires idle volumes and long-finished jobs about every tenth of the TTL (at least each second, at most each minute).</summary>
public sealed class RegistrySweeper(VolumeRegistry registry, JobRegistry jobs, ServerOptions options) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromTicks(Math.Clamp(options.SessionTtl.Ticks / 10, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
        using var timer = new PeriodicTimer(period);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            registry.Expire(DateTime.UtcNow);
            jobs.Expire(DateTime.UtcNow);
        }
    }
}
