namespace SegSam.Imaging.Hdf5;

/// <summary>
/// The objects of one open HDF5 file and the links between them: finds an object by path (hard
/// links, and soft links up to HDF5's limit of 16, H5L_NUM_LINKS), lists every dataset as h5py's
/// visit does (depth first by name, hard links only, each object once), and reads messages that
/// are shared with a committed datatype. Nothing here recurses on the file's structure: paths are
/// resolved with a queue of components and groups are walked with an explicit stack, so a link
/// loop or a self-containing group ends with an error or is visited once.
/// </summary>
internal sealed class Hdf5Tree : IDisposable
{
    /// <summary>Soft links one path may pass through (the HDF5 library's default, H5L_NUM_LINKS).</summary>
    public const int MaxSoftLinks = 16;

    /// <summary>Groups nested deeper than this are refused when listing (no real file comes near).</summary>
    public const int MaxDepth = 1024;

    /// <summary>At most this many characters of dataset paths are listed.</summary>
    const long MaxListedCharacters = 64L << 20;

    readonly Dictionary<long, ObjectHeader> headers = [];
    readonly Dictionary<long, List<Link>> groups = [];
    readonly long root;

    Hdf5Tree(Hdf5Source source)
    {
        Source = source;
        root = Superblock.Read(source).RootAddress;
    }

    public Hdf5Source Source { get; }

    public static Hdf5Tree Open(string path)
    {
        var source = Hdf5Source.Open(path);
        try
        {
            return new Hdf5Tree(source);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    public ObjectHeader Header(long address, string what)
    {
        if (!headers.TryGetValue(address, out var header))
        {
            header = ObjectHeader.Read(Source, address, what);
            headers[address] = header;
        }
        return header;
    }

    /// <summary>The object a path names, or null when nothing is there; <paramref name="why"/> then says what was missing.</summary>
    public ObjectHeader? Find(string path, out string why)
    {
        why = "";
        var pending = new LinkedList<string>(Components(path));
        long current = root;
        string walked = "";
        var followed = new List<string>();
        var states = new HashSet<string>();
        while (pending.First is { } first)
        {
            string component = first.Value;
            pending.RemoveFirst();
            var header = Header(current, $"'{Display(walked)}'");
            if (!GroupLinks.IsGroup(header))
            {
                why = $"'{Display(walked)}' is not a group";
                return null;
            }
            var link = Links(current, header, $"group '{Display(walked)}'").Find(l => l.Name == component);
            if (link is null)
            {
                why = followed.Count > 0 ? $"{Chain(path, followed)} leads nowhere" : "";
                return null;
            }
            string linkPath = walked.Length == 0 ? component : $"{walked}/{component}";
            switch (link.Kind)
            {
                case LinkKind.Hard:
                    current = link.Address;
                    walked = linkPath;
                    break;
                case LinkKind.Soft:
                    followed.Add(link.Target);
                    // The same link reached again with the same path still to go can only go round forever.
                    if (!states.Add($"{current}\0{component}\0{string.Join('/', pending)}"))
                        throw Source.Fail($"{Chain(path, followed)} loops");
                    if (followed.Count > MaxSoftLinks)
                        throw Source.Fail($"{Chain(path, followed)}: more than {MaxSoftLinks} soft links");
                    var target = Components(link.Target);
                    for (int i = target.Count - 1; i >= 0; i--) pending.AddFirst(target[i]);
                    if (link.Target.StartsWith('/'))
                    {
                        current = root;
                        walked = "";
                    }
                    break;
                case LinkKind.External:
                    throw Source.Fail($"'{linkPath}' is an external link to '{link.Target}' in file '{link.File}', which is not followed");
                default:
                    throw Source.Fail($"'{linkPath}' is a link of a {link.Target}, which is not supported");
            }
        }
        return Header(current, $"'{Display(walked)}'");
    }

    /// <summary>
    /// The path of every dataset, as h5py's visititems reports them: each group's links by name,
    /// depth first, following hard links only and each object once (the first path that reaches it).
    /// </summary>
    public List<string> ListDatasets()
    {
        var names = new List<string>();
        long characters = 0;
        var visited = new HashSet<long> { root };
        var stack = new Stack<(List<Link> Links, int Next, string Prefix)>();
        stack.Push((Links(root, Header(root, "root group"), "root group"), 0, ""));
        while (stack.TryPop(out var top))
        {
            if (top.Next == top.Links.Count) continue;
            stack.Push(top with { Next = top.Next + 1 });
            var link = top.Links[top.Next];
            if (link.Kind != LinkKind.Hard || !visited.Add(link.Address)) continue;
            string path = top.Prefix + link.Name;
            var header = Header(link.Address, $"'{path}'");
            if (GroupLinks.IsGroup(header))
            {
                if (stack.Count >= MaxDepth) throw Source.Fail($"'{path}': groups are nested more than {MaxDepth} deep");
                stack.Push((Links(link.Address, header, $"group '{path}'"), 0, path + "/"));
            }
            else if (IsDataset(header))
            {
                characters += path.Length;
                if (characters > MaxListedCharacters) throw Source.Fail($"'{path}': the dataset names are absurdly long");
                names.Add(path);
            }
        }
        return names;
    }

    /// <summary>A dataset's header holds a datatype and a dataspace (the test the HDF5 library makes).</summary>
    public static bool IsDataset(ObjectHeader header) => header.Has(MessageType.Datatype) && header.Has(MessageType.Dataspace);

    /// <summary>
    /// The body of a message of <paramref name="type"/>, following a shared message (IV.A.2, shared messages) to the
    /// committed object that holds it; null when the header has none.
    /// </summary>
    public byte[]? Body(ObjectHeader header, int type, string what)
    {
        var message = header.Find(type);
        if (message is null) return null;
        if (!message.IsShared) return message.Body;
        var fields = new FieldReader(Source, message.Body, $"{what}: shared message");
        int version = fields.U8();
        int kind = fields.U8();
        if (version == 1) fields.Skip(6);
        else if (version is not (2 or 3)) throw Source.Fail($"{what}: shared message version {version} is not supported");
        if (version == 3 && kind == 1) throw Source.Fail($"{what}: messages in the file's shared message heap are not supported");
        var owner = Header(fields.Address(), $"{what}: shared message");
        var shared = owner.Find(type);
        if (shared is null || shared.IsShared) throw Source.Fail($"{what}: the shared message it points at is missing");
        return shared.Body;
    }

    List<Link> Links(long address, ObjectHeader header, string what)
    {
        if (!groups.TryGetValue(address, out var links))
        {
            links = GroupLinks.Read(Source, header, what);
            groups[address] = links;
        }
        return links;
    }

    /// <summary>A path's names; empty names and "." (the group itself) are skipped, as HDF5 does.</summary>
    static List<string> Components(string path) => path.Split('/').Where(c => c.Length > 0 && c != ".").ToList();

    static string Display(string walked) => walked.Length == 0 ? "/" : walked;

    /// <summary>"soft link 'image' → '/b' → '/image'", long chains shortened in the middle.</summary>
    static string Chain(string path, List<string> followed)
    {
        var shown = followed.Select(f => $"'{f}'").ToList();
        if (shown.Count > 6) shown = [.. shown.Take(3), "…", .. shown.TakeLast(2)];
        return $"soft link '{Hdf5Text.Name(path)}' → {string.Join(" → ", shown)}";
    }

    public void Dispose() => Source.Dispose();
}
