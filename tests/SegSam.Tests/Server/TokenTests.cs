using System.Net;
using System.Net.Http.Headers;
using SegSam.Server;

namespace SegSam.Tests.Server;

/// <summary>The bearer token: required off localhost, checked on every request.</summary>
public sealed class TokenTests
{
    [Fact]
    public async Task RequestsWithoutTheRightTokenAre401()
    {
        await using var server = ApiServer.Start(o => o with { Token = "s3cret" });
        var missing = await server.Client.GetAsync("/api/v1/info");
        Assert.Contains("bearer token", await ApiServer.Problem(missing, 401));
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);
        server.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret!");
        await ApiServer.Problem(await server.Client.GetAsync("/api/v1/info"), 401);
        server.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/api/v1/info")).StatusCode);
    }

    [Fact]
    public void BindingBeyondLocalhostNeedsAToken()
    {
        var e = Assert.Throws<ArgumentException>(() => ServerHost.Build(new ServerOptions { Host = "0.0.0.0" }));
        Assert.Contains("give --token", e.Message);
        Assert.True(new ServerOptions { Host = "::1" }.IsLoopback);
        Assert.False(new ServerOptions { Host = "192.168.1.5" }.IsLoopback);
    }

    [Fact]
    public void TheTokenComparisonAcceptsOnlyTheToken()
    {
        var token = new BearerToken("abc");
        Assert.True(token.Accepts("Bearer abc"));
        Assert.False(token.Accepts("Bearer abcd"));
        Assert.False(token.Accepts("Basic abc"));
        Assert.False(token.Accepts(null));
    }
}
