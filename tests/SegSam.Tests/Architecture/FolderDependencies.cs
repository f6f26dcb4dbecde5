using System.Reflection;
using System.Reflection.Emit;

namespace SegSam.Tests.Architecture;

/// <summary>
/// Which folders of the SegSam library use which, read by reflection from the compiled assembly:
/// signatures (base types, interfaces, fields, properties, parameters, return and local types,
/// generic arguments) and every type, method and field a method body's IL refers to. A folder is
/// the namespace below SegSam (SegSam.Imaging.Dicom belongs to Imaging); the root namespace
/// (SegSam) is its own node.
/// </summary>
public static class FolderDependencies
{
    public const string Root = "(root)";

    /// <summary>Folder → folders it uses, each edge with one example "Type → Type" that makes it.</summary>
    public static Dictionary<string, Dictionary<string, string>> Of(Assembly assembly)
    {
        var edges = new Dictionary<string, Dictionary<string, string>>();
        foreach (var type in assembly.GetTypes())
        {
            string? from = Folder(type);
            if (from is null) continue;
            foreach (var used in Referenced(type))
            {
                string? to = Folder(used);
                if (to is null || to == from) continue;
                if (!edges.TryGetValue(from, out var targets)) edges[from] = targets = [];
                targets.TryAdd(to, $"{Name(type)} → {Name(used)}");
            }
        }
        return edges;
    }

    /// <summary>The folder of a SegSam type, or null for any other assembly's type.</summary>
    public static string? Folder(Type type)
    {
        while (type.IsNested) type = type.DeclaringType!;
        string? ns = type.Namespace;
        if (ns is null || type.Assembly.GetName().Name != "SegSam") return null;
        if (ns == "SegSam") return Root;
        if (!ns.StartsWith("SegSam.", StringComparison.Ordinal)) return null;
        return ns["SegSam.".Length..].Split('.')[0];
    }

    static string Name(Type t) => t.FullName ?? t.Name;

    const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    static IEnumerable<Type> Referenced(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null || !found.Add(t)) return;
            if (t.HasElementType) Add(t.GetElementType());
            if (t.IsGenericType) foreach (var a in t.GetGenericArguments()) Add(a);
        }
        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        foreach (var f in type.GetFields(All)) Add(f.FieldType);
        foreach (var p in type.GetProperties(All)) Add(p.PropertyType);
        foreach (var m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (m is MethodInfo mi) Add(mi.ReturnType);
            foreach (var p in m.GetParameters()) Add(p.ParameterType);
            MethodBody? body;
            try { body = m.GetMethodBody(); } catch (Exception e) when (e is BadImageFormatException or InvalidOperationException) { body = null; }
            if (body is null) continue;
            foreach (var local in body.LocalVariables) Add(local.LocalType);
            foreach (var t in ReferencedByIl(m, body.GetILAsByteArray() ?? [])) Add(t);
        }
        return found;
    }

    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>The types behind every type, method and field token in a method body.</summary>
    static IEnumerable<Type> ReferencedByIl(MethodBase method, byte[] il)
    {
        var module = method.Module;
        Type[]? typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        Type[]? methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int at = 0; at < il.Length;)
        {
            short value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            at += il[at] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    int token = BitConverter.ToInt32(il, at);
                    MemberInfo? member = null;
                    try { member = module.ResolveMember(token, typeArgs, methodArgs); }
                    catch (ArgumentException) { }
                    switch (member)
                    {
                        case Type t: yield return t; break;
                        case FieldInfo f: yield return f.DeclaringType!; yield return f.FieldType; break;
                        case MethodBase mb:
                            yield return mb.DeclaringType!;
                            if (mb is MethodInfo mi) { yield return mi.ReturnType; foreach (var g in mi.IsGenericMethod ? mi.GetGenericArguments() : []) yield return g; }
                            break;
                    }
                    at += 4;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + 4 * BitConverter.ToInt32(il, at);
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    at += 8;
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    at += 1;
                    break;
                case OperandType.InlineVar:
                    at += 2;
                    break;
                case OperandType.InlineNone:
                    break;
                default:
                    at += 4;
                    break;
            }
        }
    }

    /// <summary>Groups of folders that use each other, directly or through others (strongly connected components of two or more).</summary>
    public static List<List<string>> Cycles(Dictionary<string, Dictionary<string, string>> edges)
    {
        var nodes = edges.Keys.Concat(edges.Values.SelectMany(v => v.Keys)).Distinct().Order().ToList();
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var result = new List<List<string>>();
        int counter = 0;
        void Visit(string v)
        {
            index[v] = low[v] = counter++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in edges.GetValueOrDefault(v)?.Keys ?? Enumerable.Empty<string>())
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var component = new List<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); component.Add(x); } while (x != v);
            if (component.Count > 1) result.Add([.. component.Order()]);
        }
        foreach (var n in nodes) if (!index.ContainsKey(n)) Visit(n);
        return result;
    }
}
