using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;

namespace SegSam.Tests.Server;

/// <summary>The OpenAPI document at /openapi/v1.json lists every /api/v1 route with its methods.</summary>
public sealed partial class OpenApiTests
{
    [Fact]
    public async Task TheDocumentListsEveryRoute()
    {
        await using var server = ApiServer.Start();
        var response = await server.Client.GetAsync("/openapi/v1.json");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var documented = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(m => $"{m.Name.ToUpperInvariant()} {p.Name}")).ToHashSet();

        // Every route the application maps, with its route constraints dropped as OpenAPI writes paths.
        var routes = server.Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/v1", StringComparison.Ordinal))
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => $"{m} {Constraint().Replace(e.RoutePattern.RawText!, "}")}"))
            .ToList();
        Assert.True(routes.Count >= 14, string.Join("\n", routes)); // 14 here; other files may map more
        Assert.All(routes, r => Assert.Contains(r, documented));
        Assert.Contains("POST /api/v1/volumes/{id}/segment-all", documented);
        Assert.Contains("GET /api/v1/jobs/{jid}", documented);
    }

    [GeneratedRegex(":[a-z]+}")]
    private static partial Regex Constraint();
}
