using System.Net.Http.Headers;
using System.Text;

namespace SegSam.Data.DicomWeb;

/// <summary>
/// How requests to a DICOMweb server authenticate: not at all, with a bearer token, or with HTTP
/// basic authentication. <see cref="FromEnvironment"/> reads them from
/// <see cref="TokenVariable"/>, or <see cref="UserVariable"/> and <see cref="PasswordVariable"/>,
/// so that secrets stay off command lines (which other users of the machine can see in `ps`).
/// </summary>
public sealed class DicomWebCredentials
{
    public const string TokenVariable = "SEGSAM_DICOMWEB_TOKEN";
    public const string UserVariable = "SEGSAM_DICOMWEB_USER";
    public const string PasswordVariable = "SEGSAM_DICOMWEB_PASSWORD";

    readonly AuthenticationHeaderValue? header;

    DicomWebCredentials(AuthenticationHeaderValue? header, string description)
    {
        this.header = header;
        Description = description;
    }

    /// <summary>No Authorization header.</summary>
    public static DicomWebCredentials None { get; } = new(null, "none");

    /// <summary>"Authorization: Bearer TOKEN" (RFC 6750).</summary>
    public static DicomWebCredentials Bearer(string token)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Any(char.IsControl)) throw new ArgumentException("the DICOMweb bearer token must be non-empty printable text");
        return new(new AuthenticationHeaderValue("Bearer", token.Trim()), "bearer token");
    }

    /// <summary>"Authorization: Basic base64(USER:PASSWORD)" (RFC 7617, UTF-8).</summary>
    public static DicomWebCredentials Basic(string user, string password)
    {
        if (string.IsNullOrEmpty(user) || user.Contains(':')) throw new ArgumentException("the DICOMweb user name must be non-empty and must not contain ':' (RFC 7617)");
        return new(new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"))), $"basic (user {user})");
    }

    /// <summary>
    /// The credentials the environment names: a bearer token from SEGSAM_DICOMWEB_TOKEN, or basic
    /// authentication from SEGSAM_DICOMWEB_USER and SEGSAM_DICOMWEB_PASSWORD (both needed), or none
    /// when all are unset or empty. Setting both kinds is an <see cref="ArgumentException"/>.
    /// </summary>
    public static DicomWebCredentials FromEnvironment()
    {
        static string? Read(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
        string? token = Read(TokenVariable), user = Read(UserVariable), password = Read(PasswordVariable);
        if (token is not null && (user is not null || password is not null))
            throw new ArgumentException($"set either {TokenVariable} (bearer token) or {UserVariable} and {PasswordVariable} (basic authentication), not both");
        if (token is not null) return Bearer(token);
        if (user is null != (password is null))
            throw new ArgumentException($"basic authentication needs both {UserVariable} and {PasswordVariable}; only {(user is null ? PasswordVariable : UserVariable)} is set");
        return user is null ? None : Basic(user, password!);
    }

    /// <summary>What kind of authentication this is, without the secret.</summary>
    public string Description { get; }

    public override string ToString() => Description;

    internal void Apply(HttpRequestMessage request)
    {
        if (header is not null) request.Headers.Authorization = header;
    }
}
