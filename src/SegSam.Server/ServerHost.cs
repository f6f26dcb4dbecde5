using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SegSam.Server;

/// <summary>
/// Builds the `segsam serve` application: Kestrel on <see cref="ServerOptions.Host"/>, the models,
/// the volume registry and the /api/v1 endpoints (<see cref="VolumeApi"/>), with every error
/// answered as RFC 7807 problem+json. Tests pass <c>configure</c> to swap Kestrel for a test server.
/// </summary>
public static class ServerHost
{
    public static WebApplication Build(ServerOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        if (!options.IsLoopback && string.IsNullOrEmpty(options.Token))
            throw new ArgumentException($"--host {options.Host} is reachable from other machines: give --token so that requests must carry it", nameof(options));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls($"http://{(options.Host == "localhost" ? "127.0.0.1" : options.Host)}:{options.Port}");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxUploadBytes + 1);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(_ => new ModelSet(options.Models));
        builder.Services.AddSingleton<VolumeRegistry>();
        builder.Services.AddHostedService<RegistrySweeper>();
        builder.Services.AddProblemDetails();
        configure?.Invoke(builder);
        var app = builder.Build();
        // Load the models now, so that a missing or broken checkpoint stops the start, not the first request.
        _ = app.Services.GetRequiredService<ModelSet>();

        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("SegSam.Server");
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away; nobody reads an answer.
            }
            catch (Exception e) when (!context.Response.HasStarted)
            {
                var (status, detail) = Problems.Of(e);
                if (status == StatusCodes.Status500InternalServerError) log.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
                context.Response.Clear();
                await Results.Problem(detail, statusCode: status).ExecuteAsync(context).ConfigureAwait(false);
            }
        });
        // The viewer's page and scripts hold no data, so they are served before the token check.
        ViewerFiles.Use(app, log);
        if (options.Token is { Length: > 0 } token)
        {
            var bearer = new BearerToken(token);
            app.Use(async (context, next) =>
            {
                if (bearer.Accepts(context.Request.Headers.Authorization))
                {
                    await next(context).ConfigureAwait(false);
                    return;
                }
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await Results.Problem("missing or wrong bearer token (Authorization: Bearer T, the token given to segsam serve --token)",
                    statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(context).ConfigureAwait(false);
            });
        }
        app.UseStatusCodePages();
        VolumeApi.Map(app.MapGroup("/api/v1"));
        ViewerApi.Map(app.MapGroup("/api/v1"));
        // The container disposes the registry (closing every session) and then the models when the app stops.
        return app;
    }
}
