using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using SegSam.Tests.Support;

namespace SegSam.Tests.Packaging;

/// <summary>
/// The SegSam package's public API, listed in public-api.txt (checked in), so that every change to
/// it shows in review. After an intended change, regenerate the listing:
/// SEGSAM_UPDATE_PUBLIC_API=1 dotnet test tests/SegSam.Tests -c Release --filter FullyQualifiedName~PublicApiTests
/// </summary>
public sealed class PublicApiTests
{
    static string ListingPath => Path.Combine(Fixtures.RepoRoot, "tests", "SegSam.Tests", "Packaging", "public-api.txt");

    [Fact]
    public void PublicApiIsTheCheckedInListing()
    {
        string actual = Listing(typeof(SegSam.Checkpoints.SegSamCheckpoint).Assembly);
        if (Environment.GetEnvironmentVariable("SEGSAM_UPDATE_PUBLIC_API") == "1")
            File.WriteAllText(ListingPath, actual);
        string expected = File.Exists(ListingPath) ? File.ReadAllText(ListingPath).ReplaceLineEndings("\n") : "";
        if (expected == actual) return;
        var want = expected.Split('\n').ToHashSet();
        var have = actual.Split('\n').ToHashSet();
        var diff = actual.Split('\n').Where(l => !want.Contains(l)).Select(l => "+ " + l)
            .Concat(expected.Split('\n').Where(l => !have.Contains(l)).Select(l => "- " + l)).Take(60);
        Assert.Fail($"SegSam's public API differs from {ListingPath} (+ new, - gone):\n{string.Join('\n', diff)}\n" +
                    "If the change is intended, regenerate the listing: SEGSAM_UPDATE_PUBLIC_API=1 dotnet test tests/SegSam.Tests -c Release --filter FullyQualifiedName~PublicApiTests");
    }

    /// <summary>One line per public type and per public or protected member, sorted.</summary>
    public static string Listing(Assembly assembly)
    {
        var lines = new List<string>();
        const BindingFlags declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var type in assembly.GetExportedTypes())
        {
            string name = Name(type);
            lines.Add($"{Kind(type)} {name}{Bases(type)}");
            foreach (var member in type.GetMembers(declared))
            {
                if (member.IsDefined(typeof(CompilerGeneratedAttribute)) || member.Name.Contains('<')) continue;
                string? line = member switch
                {
                    ConstructorInfo c when Visible(c) => $"{name}::.ctor({Parameters(c)})",
                    MethodInfo m when Visible(m) && !m.IsSpecialName => $"{name}::{(m.IsStatic ? "static " : "")}{Name(m.ReturnType)} {m.Name}{Generic(m)}({Parameters(m)})",
                    MethodInfo m when Visible(m) && m.Name.StartsWith("op_") => $"{name}::static {Name(m.ReturnType)} {m.Name}({Parameters(m)})",
                    PropertyInfo p when Accessors(p).Any(Visible) => $"{name}::{(Accessors(p).First(Visible).IsStatic ? "static " : "")}{Name(p.PropertyType)} {p.Name}{Indexer(p)} {{ {string.Join(' ', Accessors(p).Where(Visible).Select(a => a.Name[..3] + ";"))} }}",
                    FieldInfo f when (f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly) && !f.IsSpecialName => $"{name}::{(f.IsLiteral ? "const " : f.IsStatic ? "static " : "")}{(f.IsInitOnly ? "readonly " : "")}{Name(f.FieldType)} {f.Name}",
                    EventInfo e when e.AddMethod is { } add && Visible(add) => $"{name}::event {Name(e.EventHandlerType!)} {e.Name}",
                    _ => null,
                };
                if (line is not null) lines.Add(line);
            }
        }
        lines.Sort(StringComparer.Ordinal);
        var text = new StringBuilder();
        foreach (var line in lines) text.Append(line).Append('\n');
        return text.ToString();
    }

    static bool Visible(MethodBase m) => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly;
    static IEnumerable<MethodInfo> Accessors(PropertyInfo p) => new[] { p.GetMethod, p.SetMethod }.OfType<MethodInfo>();
    static string Indexer(PropertyInfo p) => p.GetIndexParameters() is { Length: > 0 } ps ? $"[{string.Join(", ", ps.Select(x => Name(x.ParameterType)))}]" : "";
    static string Generic(MethodInfo m) => m.IsGenericMethodDefinition ? $"<{string.Join(", ", m.GetGenericArguments().Select(a => a.Name))}>" : "";
    static string Parameters(MethodBase m) => string.Join(", ", m.GetParameters().Select(p =>
        $"{(p.IsOut ? "out " : p.ParameterType.IsByRef ? "ref " : "")}{Name(p.ParameterType)} {p.Name}{(p.HasDefaultValue ? " = " + (p.DefaultValue ?? "null") : "")}"));

    static string Kind(Type t) =>
        t.IsEnum ? "enum" : t.IsInterface ? "interface" : t.IsValueType ? (t.GetMethod("<Clone>$") is null && t.GetProperty("EqualityContract", BindingFlags.NonPublic | BindingFlags.Instance) is null ? "struct" : "record struct")
        : t.GetMethod("<Clone>$") is not null ? "record" : t.IsAbstract && t.IsSealed ? "static class" : t.IsAbstract ? "abstract class" : t.IsSealed ? "sealed class" : "class";

    static string Bases(Type t)
    {
        var bases = new List<string>();
        if (t.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum)) bases.Add(Name(b));
        bases.AddRange(t.GetInterfaces().Where(i => i.IsPublic || i.IsNestedPublic).Select(Name).Where(n => !n.StartsWith("System.IEquatable")).Order(StringComparer.Ordinal));
        return bases.Count > 0 ? " : " + string.Join(", ", bases) : "";
    }

    static string Name(Type t)
    {
        if (t.IsByRef) return Name(t.GetElementType()!);
        if (t.IsArray) return Name(t.GetElementType()!) + "[" + new string(',', t.GetArrayRank() - 1) + "]";
        if (t.IsGenericParameter) return t.Name;
        if (Nullable.GetUnderlyingType(t) is { } u) return Name(u) + "?";
        string name = t.IsNested ? Name(t.DeclaringType!) + "." + t.Name : (t.Namespace is { } ns ? ns + "." : "") + t.Name;
        if (!t.IsGenericType) return name;
        int tick = name.IndexOf('`');
        if (tick >= 0) name = name[..tick] + name[(name.IndexOf('`') + 1)..].SkipWhile(char.IsDigit).Aggregate("", (s, c) => s + c);
        return $"{name}<{string.Join(", ", t.GetGenericArguments().Select(Name))}>";
    }
}
