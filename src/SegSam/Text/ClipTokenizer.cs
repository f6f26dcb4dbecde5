using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using SegSam.IO;

namespace SegSam.Text;

/// <summary>
/// CLIP's byte-level BPE tokenizer (clip/simple_tokenizer.py and <c>clip.tokenize</c>): text
/// cleaned (<see cref="ClipTextCleaning"/>), split into words, numbers (one digit each) and
/// punctuation runs, each word's UTF-8 bytes mapped to printable characters, merged by the ranked
/// merges of <c>bpe_simple_vocab_16e6.txt</c>, the last symbol marked with <c>&lt;/w&gt;</c>.
/// Ids: the 256 byte symbols, the same with <c>&lt;/w&gt;</c>, one per merge (the first 48,894),
/// then <c>&lt;|startoftext|&gt;</c> = 49406 and <c>&lt;|endoftext|&gt;</c> = 49407; 49,408 in all.
/// </summary>
public sealed partial class ClipTokenizer
{
    /// <summary>CLIP keeps 49152 − 256 − 2 merges of the file (simple_tokenizer.py).</summary>
    public const int MergeCount = 49152 - 256 - 2;
    public const int DefaultContextLength = 77;
    /// <summary>The number of ids of CLIP's vocabulary: 2·256 byte symbols, the merges, 2 special tokens.</summary>
    public const int ClipVocabularySize = 2 * 256 + MergeCount + 2;
    const string EndOfWord = "</w>";
    const string EmbeddedVocabulary = "SegSam.Text.bpe_simple_vocab_16e6.txt.gz";

    static readonly Lazy<ClipTokenizer> Bundled = new(() =>
    {
        using var stream = typeof(ClipTokenizer).Assembly.GetManifestResourceStream(EmbeddedVocabulary)
            ?? throw new InvalidOperationException($"the CLIP vocabulary {EmbeddedVocabulary} is not embedded in {typeof(ClipTokenizer).Assembly.GetName().Name}");
        return new ClipTokenizer(ReadMerges(new GZipStream(stream, CompressionMode.Decompress), EmbeddedVocabulary));
    });

    readonly string[] byteSymbols = ByteSymbols();
    readonly Dictionary<char, byte> symbolBytes;
    readonly Dictionary<string, int> ids;
    readonly string[] tokens;
    readonly Dictionary<(string, string), int> ranks;
    readonly Dictionary<string, string[]> cache = new(StringComparer.Ordinal);
    readonly Lock cacheLock = new();

    /// <summary>CLIP's own vocabulary (openai/CLIP, MIT licence), embedded in the library.</summary>
    public static ClipTokenizer Default => Bundled.Value;

    public int StartOfText { get; }
    public int EndOfText { get; }
    public int VocabularySize => tokens.Length;

    ClipTokenizer(IReadOnlyList<(string First, string Second)> merges)
    {
        symbolBytes = byteSymbols.Select((s, b) => (s[0], (byte)b)).ToDictionary(p => p.Item1, p => p.Item2);
        var vocabulary = new List<string>(2 * 256 + merges.Count + 2);
        var ordered = ByteOrder().Select(b => byteSymbols[b]).ToList();
        vocabulary.AddRange(ordered);
        vocabulary.AddRange(ordered.Select(s => s + EndOfWord));
        vocabulary.AddRange(merges.Select(m => m.First + m.Second));
        vocabulary.Add("<|startoftext|>");
        vocabulary.Add("<|endoftext|>");
        tokens = vocabulary.ToArray();
        ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) ids.TryAdd(tokens[i], i);
        ranks = new Dictionary<(string, string), int>(merges.Count);
        for (int i = 0; i < merges.Count; i++) ranks.TryAdd(merges[i], i);
        StartOfText = tokens.Length - 2;
        EndOfText = tokens.Length - 1;
    }

    /// <summary>
    /// Reads a merges file: CLIP's <c>bpe_simple_vocab_16e6.txt</c> (or <c>.txt.gz</c>) or a Hugging
    /// Face CLIP <c>merges.txt</c>, the same format (a version line, then "first second" per line).
    /// </summary>
    public static ClipTokenizer Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"CLIP merges file not found: {path}", path);
        byte[] content;
        try
        {
            using var file = InputFile.OpenRead(path);
            using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            content = buffer.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a valid gzip file ({e.Message})", e);
        }
        return new ClipTokenizer(ReadMerges(new MemoryStream(content), path));
    }

    static List<(string, string)> ReadMerges(Stream stream, string source)
    {
        string content;
        try
        {
            using var reader = new StreamReader(stream, new UTF8Encoding(false, true));
            content = reader.ReadToEnd();
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{source}: not UTF-8 text ({e.Message})", e);
        }
        // Split on '\n' only: some merge symbols are characters .NET's ReadLine would treat as breaks.
        var lines = content.Split('\n');
        var merges = new List<(string, string)>(MergeCount);
        for (int i = 1; i < lines.Length && merges.Count < MergeCount; i++)
        {
            var parts = lines[i].Split(' ');
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                if (lines[i].Length == 0 && i == lines.Length - 1) break;
                throw new InvalidDataException($"{source}: line {i + 1} is not a merge \"first second\": '{Truncate(lines[i])}'");
            }
            merges.Add((parts[0], parts[1]));
        }
        if (merges.Count < MergeCount)
            throw new InvalidDataException($"{source}: {merges.Count} merges; CLIP's vocabulary needs {MergeCount} (is this CLIP's bpe_simple_vocab_16e6.txt or merges.txt?)");
        return merges;
    }

    static string Truncate(string s) => s.Length <= 60 ? s : s[..60] + "…";

    /// <summary>The BPE ids of <paramref name="text"/>, without start/end tokens.</summary>
    public List<int> Encode(string text)
    {
        var result = new List<int>();
        foreach (Match match in Pieces().Matches(ClipTextCleaning.Clean(text)))
        {
            var bytes = Encoding.UTF8.GetBytes(match.Value);
            var word = string.Concat(bytes.Select(b => byteSymbols[b]));
            foreach (var symbol in Bpe(word)) result.Add(ids[symbol]);
        }
        return result;
    }

    /// <summary>
    /// <c>clip.tokenize</c>: start token, the text's ids, end token, zero-padded to
    /// <paramref name="contextLength"/>; B × contextLength. Too long: an error, or with
    /// <paramref name="truncate"/> the first contextLength ids with the end token last.
    /// </summary>
    public long[,] Tokenize(IReadOnlyList<string> texts, int contextLength = DefaultContextLength, bool truncate = false)
    {
        if (contextLength < 2) throw new ArgumentOutOfRangeException(nameof(contextLength), contextLength, "the context must hold at least the start and end tokens");
        var result = new long[texts.Count, contextLength];
        for (int i = 0; i < texts.Count; i++)
        {
            var sequence = new List<int>(contextLength) { StartOfText };
            sequence.AddRange(Encode(texts[i]));
            sequence.Add(EndOfText);
            if (sequence.Count > contextLength)
            {
                if (!truncate)
                    throw new ArgumentException($"text {i} is {sequence.Count} tokens long, more than CLIP's context of {contextLength}: shorten it or truncate: \"{Truncate(texts[i])}\"", nameof(texts));
                sequence.RemoveRange(contextLength, sequence.Count - contextLength);
                sequence[^1] = EndOfText;
            }
            for (int j = 0; j < sequence.Count; j++) result[i, j] = sequence[j];
        }
        return result;
    }

    /// <summary>The text of <paramref name="tokenIds"/> as CLIP decodes it: word ends become spaces.</summary>
    public string Decode(IEnumerable<int> tokenIds)
    {
        var bytes = new List<byte>();
        foreach (int id in tokenIds)
        {
            if ((uint)id >= (uint)tokens.Length) throw new ArgumentOutOfRangeException(nameof(tokenIds), id, $"not a CLIP token id (0…{tokens.Length - 1})");
            string token = tokens[id];
            if (id >= StartOfText)
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
                continue;
            }
            foreach (char c in token.EndsWith(EndOfWord, StringComparison.Ordinal) ? token[..^EndOfWord.Length] : token)
                bytes.Add(symbolBytes[c]);
            if (token.EndsWith(EndOfWord, StringComparison.Ordinal)) bytes.Add((byte)' ');
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    string[] Bpe(string word)
    {
        if (word is "<|startoftext|>" or "<|endoftext|>") return [word];
        lock (cacheLock)
            if (cache.TryGetValue(word, out var cached)) return cached;

        // A word is a list of symbols; repeatedly merge every occurrence of its best-ranked pair.
        var symbols = word.Select(c => c.ToString()).ToList();
        symbols[^1] += EndOfWord;
        while (symbols.Count > 1)
        {
            (string, string) best = default;
            int bestRank = int.MaxValue;
            for (int i = 0; i + 1 < symbols.Count; i++)
                if (ranks.TryGetValue((symbols[i], symbols[i + 1]), out int rank) && rank < bestRank)
                    (best, bestRank) = ((symbols[i], symbols[i + 1]), rank);
            if (bestRank == int.MaxValue) break;
            var merged = new List<string>(symbols.Count);
            for (int i = 0; i < symbols.Count; i++)
            {
                if (i + 1 < symbols.Count && symbols[i] == best.Item1 && symbols[i + 1] == best.Item2)
                {
                    merged.Add(best.Item1 + best.Item2);
                    i++;
                }
                else merged.Add(symbols[i]);
            }
            symbols = merged;
        }
        var result = symbols.ToArray();
        lock (cacheLock)
            if (cache.Count < 100_000) cache[word] = result;
        return result;
    }

    /// <summary>
    /// GPT-2/CLIP byte symbols: printable Latin-1 bytes stand for themselves, the other 68 bytes
    /// take the characters from U+0100 on, in byte order.
    /// </summary>
    static string[] ByteSymbols()
    {
        var symbols = new string[256];
        int next = 0;
        for (int b = 0; b < 256; b++)
            symbols[b] = IsPrintable(b) ? ((char)b).ToString() : ((char)(256 + next++)).ToString();
        return symbols;
    }

    /// <summary>The vocabulary lists the printable bytes first, then the others, each group in byte order.</summary>
    static IEnumerable<int> ByteOrder() =>
        Enumerable.Range(0, 256).Where(IsPrintable).Concat(Enumerable.Range(0, 256).Where(b => !IsPrintable(b)));

    static bool IsPrintable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;

    // simple_tokenizer.py's pattern: special tokens, English contractions, letter runs, single
    // digits, runs of other non-space characters.
    [GeneratedRegex(@"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+", RegexOptions.IgnoreCase)]
    private static partial Regex Pieces();
}
