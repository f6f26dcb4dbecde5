using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using SegSam.Server;
using SegSam.Tests.Support;

namespace SegSam.Tests.Browser;

/// <summary>
/// `segsam serve` in process on real Kestrel (a free loopback port, the bundled model, so the
/// labels mean something) and Debian's Chromium driven by Playwright's driver (the NuGet package
/// carries it; no browser is downloaded), headless with software WebGL2 (SwiftShader) for NiiVue.
/// </summary>
public sealed class ViewerBrowser : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>Playwright's own flags aside: no sandbox (containers), WebGL2 in software, nothing fetched in the background.</summary>
    public static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    readonly TempDir profile = new();
    readonly List<string> console = [];
    IPlaywright? playwright;

    public WebApplication App { get; }
    public string Url { get; }
    public IBrowserContext Context { get; private set; } = null!;
    public IPage Page { get; private set; } = null!;

    /// <summary>The page's console errors and uncaught exceptions so far (with the 404 of a favicon left out).</summary>
    public IReadOnlyList<string> Errors => [.. console];

    ViewerBrowser(WebApplication app)
    {
        App = app;
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        Url = addresses.First().TrimEnd('/') + "/";
    }

    public static async Task<ViewerBrowser> Start()
    {
        string model = Path.Combine(Fixtures.RepoRoot, "models", "segsam-atlas.safetensors");
        Assert.True(File.Exists(model), $"the bundled model {model} is missing");
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: scripts/setup.sh installs Debian's chromium");
        Assert.True(File.Exists(ViewerFiles.NiiVue), $"{ViewerFiles.NiiVue} is missing: run scripts/setup.sh (npm ci in src/SegSam.Server) and rebuild");
        // Port 0: Kestrel picks a free port; warnings only, so that a failure's output is readable.
        var app = ServerHost.Build(new ServerOptions { Models = [model], Port = 0 }, builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        var browser = new ViewerBrowser(app);
        try
        {
            await browser.Launch();
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
        return browser;
    }

    async Task Launch()
    {
        playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Context = await playwright.Chromium.LaunchPersistentContextAsync(profile.Path, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ChromiumArgs,
            ViewportSize = new ViewportSize { Width = 1366, Height = 768 }, // a laptop screen
            AcceptDownloads = true,
            Timeout = 30_000,
        });
        Context.SetDefaultTimeout(30_000);
        Page = Context.Pages.Count > 0 ? Context.Pages[0] : await Context.NewPageAsync();
        Page.Console += (_, m) =>
        {
            if (m.Type == "error" && !m.Text.Contains("404")) lock (console) console.Add($"console: {m.Text}");
        };
        Page.PageError += (_, e) => { lock (console) console.Add($"page error: {e}"); };
        await Page.GotoAsync(Url);
        await Page.WaitForFunctionAsync("() => window.segsam && window.segsam.state.ready");
    }

    /// <summary>Runs <paramref name="script"/> (a JS expression or arrow function) in the page.</summary>
    public async Task<JsonElement> Js(string script, object? arg = null) => await Page.EvaluateAsync(script, arg) ?? default;

    /// <summary>Waits until the viewer is idle (no request of its own in flight) and <paramref name="condition"/> holds.</summary>
    public async Task Until(string condition, int timeoutMs = 30_000)
    {
        try
        {
            await Page.WaitForFunctionAsync($"() => !segsam.state.busy && ({condition})", null, new PageWaitForFunctionOptions { Timeout = timeoutMs });
        }
        catch (TimeoutException)
        {
            string status = await Page.TextContentAsync("#status") ?? "";
            throw new TimeoutException($"waited {timeoutMs} ms for {condition}; the viewer says: {status}; {string.Join("; ", Errors)}");
        }
    }

    /// <summary>Page position of voxel <paramref name="voxel"/> on the shown 2D slice of NiiVue type <paramref name="axCorSag"/> (0 axial, 1 coronal, 2 sagittal).</summary>
    public async Task<(float X, float Y)> PagePoint(int[] voxel, int axCorSag)
    {
        var p = await Js("([v, t]) => segsam.pagePoint(v, t)", new object[] { voxel, axCorSag });
        Assert.True(p.ValueKind == JsonValueKind.Object, $"voxel [{string.Join(", ", voxel)}] is not on a shown slice");
        return ((float)p.GetProperty("x").GetDouble(), (float)p.GetProperty("y").GetDouble());
    }

    public async ValueTask DisposeAsync()
    {
        if (Context is not null) await Context.CloseAsync();
        playwright?.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        profile.Dispose();
    }
}
