using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;

namespace SegSam.Server;

/// <summary>
/// Serves the browser viewer at /: index.html, app.js, app.css and NiiVue's bundle, copied into
/// the build output's wwwroot/ by SegSam.Server.csproj (NiiVue from node_modules, installed by
/// scripts/setup.sh). Without NiiVue the page still loads and says what to run; the start logs it.
/// </summary>
public static class ViewerFiles
{
    /// <summary>Where the viewer's files are: wwwroot/ next to the server's assembly.</summary>
    public static string Root => Path.Combine(AppContext.BaseDirectory, "wwwroot");

    /// <summary>NiiVue's self-contained module, which app.js imports.</summary>
    public static string NiiVue => Path.Combine(Root, "niivue", "niivue.js");

    public static void Use(IApplicationBuilder app, ILogger log)
    {
        if (!File.Exists(Path.Combine(Root, "index.html")))
        {
            log.LogWarning("viewer: {Root} has no index.html, so / serves nothing (is this a build of SegSam.Server?)", Root);
            return;
        }
        if (!File.Exists(NiiVue))
            log.LogWarning("viewer: NiiVue is missing ({Path}): run scripts/setup.sh (npm ci in src/SegSam.Server) and rebuild; the API works without it", NiiVue);
        var files = new PhysicalFileProvider(Root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            // A rebuilt viewer must not meet a stale script in the browser's cache.
            OnPrepareResponse = c => c.Context.Response.Headers.CacheControl = "no-cache",
        });
    }
}
