using System.Security.Cryptography;
using System.Text;

namespace SegSam.Server;

/// <summary>
/// Checks "Authorization: Bearer T" on every request when the server has a token. Both sides are
/// hashed first so the comparison is constant-time and does not reveal the token's length.
/// </summary>
public sealed class BearerToken(string token)
{
    readonly byte[] expected = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public bool Accepts(string? authorization)
    {
        const string scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(authorization[scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }
}
