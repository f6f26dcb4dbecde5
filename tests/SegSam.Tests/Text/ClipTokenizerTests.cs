using System.IO.Compression;
using System.Text.Json;
using SegSam.Tests.Support;
using SegSam.Text;

namespace SegSam.Tests.Text;

public class ClipTokenizerTests
{
    static readonly ClipTokenizer Tokenizer = ClipTokenizer.Default;

    sealed record Case(string Text, int[] Ids);

    static JsonElement Expected()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.RepoFixtures, "clip-tokenizer", "expected.json")));
        return doc.RootElement.Clone();
    }

    static long[] Row(long[,] ids, int row) => Enumerable.Range(0, ids.GetLength(1)).Select(j => ids[row, j]).ToArray();

    [Fact]
    public void HelloWorldIsWhatClipsOwnNotebookShows()
    {
        // openai/CLIP notebooks/Interacting_with_CLIP.ipynb: clip.tokenize("Hello World!") →
        // [[49406, 3306, 1002, 256, 49407, 0, …]] (77 long).
        var ids = Tokenizer.Tokenize(["Hello World!"]);
        Assert.Equal(77, ids.GetLength(1));
        Assert.Equal(new long[] { 49406, 3306, 1002, 256, 49407 }.Concat(Enumerable.Repeat(0L, 72)), Row(ids, 0));
        Assert.Equal(49408, Tokenizer.VocabularySize);
        Assert.Equal((49406, 49407), (Tokenizer.StartOfText, Tokenizer.EndOfText));
    }

    [Fact]
    public void EveryCaseMatchesClipsReferenceTokenizer()
    {
        var expected = Expected();
        var cases = expected.GetProperty("cases").Deserialize<Case[]>(new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.True(cases.Length >= 15);
        foreach (var c in cases)
        {
            var ids = Tokenizer.Tokenize([c.Text]);
            var got = Row(ids, 0).Take(c.Ids.Length).Select(v => (int)v).ToArray();
            Assert.True(c.Ids.SequenceEqual(got), $"\"{c.Text}\": expected [{string.Join(", ", c.Ids)}], got [{string.Join(", ", got)}]");
            Assert.All(Row(ids, 0).Skip(c.Ids.Length), v => Assert.Equal(0, v));
        }
    }

    [Fact]
    public void LongTextsAreRefusedOrTruncatedAsClipDoes()
    {
        var expected = Expected().GetProperty("long");
        string text = expected.GetProperty("text").GetString()!;
        var error = Assert.Throws<ArgumentException>(() => Tokenizer.Tokenize([text]));
        Assert.Contains("context of 77", error.Message);
        var truncated = expected.GetProperty("truncated_77").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        Assert.Equal(truncated, Row(Tokenizer.Tokenize([text], truncate: true), 0));
        var full = expected.GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        Assert.Equal(full, Row(Tokenizer.Tokenize([text], contextLength: full.Length), 0));
    }

    [Fact]
    public void DecodeGivesClipsSpacing()
    {
        var decode = Expected().GetProperty("decode");
        var ids = decode.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(decode.GetProperty("text").GetString(), Tokenizer.Decode(ids));
        Assert.Equal("naïve 肝脏 ", Tokenizer.Decode(Tokenizer.Encode("naïve 肝脏")));
    }

    [Fact]
    public void CleaningStraightensQuotesAndWidthsBeforeBpe()
    {
        // What ftfy's defaults change in well-formed text, and CLIP's double HTML unescape.
        Assert.Equal(Tokenizer.Encode("it's \"left\" fine"), Tokenizer.Encode("it\u2019s \u201Cleft\u201D \uFB01ne"));
        Assert.Equal(Tokenizer.Encode("ct 42"), Tokenizer.Encode("\uFF23\uFF34\u3000\uFF14\uFF12"));
        Assert.Equal("a & b", ClipTextCleaning.Clean("A &amp;amp; B"));
    }

    [Fact]
    public void LoadsAPlainOrGzippedMergesFileAndReportsBadOnes()
    {
        using var dir = new TempDir();
        string gz = Path.Combine(Fixtures.RepoRoot, "models", "clip", "bpe_simple_vocab_16e6.txt.gz");
        string plain = Path.Combine(dir.Path, "merges.txt");
        using (var input = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress))
        using (var output = File.Create(plain))
            input.CopyTo(output);
        foreach (var tokenizer in new[] { ClipTokenizer.Load(gz), ClipTokenizer.Load(plain) })
            Assert.Equal(Tokenizer.Encode("the spleen and the left kidney"), tokenizer.Encode("the spleen and the left kidney"));

        string missing = Path.Combine(dir.Path, "none.txt");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => ClipTokenizer.Load(missing)).Message);

        string shortFile = Path.Combine(dir.Path, "short.txt");
        File.WriteAllText(shortFile, "#version: 0.2\ni n\nt h\n");
        var tooFew = Assert.Throws<InvalidDataException>(() => ClipTokenizer.Load(shortFile));
        Assert.Contains(shortFile, tooFew.Message);
        Assert.Contains("2 merges", tooFew.Message);

        string broken = Path.Combine(dir.Path, "broken.txt");
        File.WriteAllText(broken, "#version: 0.2\ni n\nthree parts here\n");
        Assert.Contains("line 3", Assert.Throws<InvalidDataException>(() => ClipTokenizer.Load(broken)).Message);

        string notGzip = Path.Combine(dir.Path, "fake.txt.gz");
        File.WriteAllText(notGzip, "#version: 0.2\n");
        Assert.Contains("gzip", Assert.Throws<InvalidDataException>(() => ClipTokenizer.Load(notGzip)).Message);
    }
}
