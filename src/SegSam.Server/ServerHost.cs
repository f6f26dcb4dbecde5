using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SegSam.Server;

/// <summary>
/// Builds the `segsam serve` application: Kestrel on <see cref="ServerOptions.Host"/>, the models,
/// the volume registry and the /api/v1 endpoints (<see cref="VolumeApi"/>, <see cref="JobApi"/>),
/// with every error answered as RFC 7807 problem+json. <see cref="AddServices"/> and
/// <see cref="UsePipeline"/> are the two halves, so that a test host (WebApplicationFactory) builds
/// the same application without an entry point.
/// </summary>
public static class ServerHost
{
    public static WebApplication Build(ServerOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls($"http://{(options.Host == "localhost" ? "127.0.0.1" : options.Host)}:{options.Port}");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxUploadBytes + 1);
        AddServices(builder.Services, options);
        // Six information lines per request on stdout would bury the server's own messages, and once a
        // pipe that nobody reads is full (plus the console logger's 2,500-message queue) every request
        // would block on logging; warnings and errors are kept.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        configure?.Invoke(builder);
        var app = builder.Build();
        UsePipeline(app);
        return app;
    }

    /// <summary>The server's services; refuses a non-loopback host without a token.</summary>
    public static void AddServices(IServiceCollection services, ServerOptions options)
    {
        if (!options.IsLoopback && string.IsNullOrEmpty(options.Token))
            throw new ArgumentException($"--host {options.Host} is reachable from other machines: give --token so that requests must carry it", nameof(options));
        services.AddSingleton(options);
        services.AddSingleton(_ => new ModelSet(options.Models));
        services.AddSingleton<VolumeRegistry>();
        services.AddSingleton<InferenceQueue>();
        services.AddSingleton<JobRegistry>();
        services.AddRouting();
        services.AddOpenApi();
        services.AddHostedService<RegistrySweeper>();
        services.AddProblemDetails();
        // A body or parameter that cannot be bound throws, so the problem handler below names what
        // was wrong and where; by default minimal APIs answer a bare 400 that says neither.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
    }

    /// <summary>The middleware (problem+json errors, bearer token, status pages) and the endpoints.</summary>
    public static void UsePipeline(IApplicationBuilder app)
    {
        // Load the models now, so that a missing or broken checkpoint stops the start, not the first request.
        _ = app.ApplicationServices.GetRequiredService<ModelSet>();
        var options = app.ApplicationServices.GetRequiredService<ServerOptions>();
        var log = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("SegSam.Server");
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
                if (e is ApiProblem { RetryAfterSeconds: { } seconds }) context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
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
        app.UseRouting();
        app.UseEndpoints(endpoints =>
        {
            endpoints.MapOpenApi();
            var api = endpoints.MapGroup("/api/v1");
            VolumeApi.Map(api);
            PacsApi.Map(api);
            JobApi.Map(api);
            ViewerApi.Map(api);
        });
        // The container disposes the registry (closing every session) and then the models when the app stops.
    }
}
