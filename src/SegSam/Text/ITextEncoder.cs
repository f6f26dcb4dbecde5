namespace SegSam.Text;

/// <summary>Turns texts into fixed-length embedding vectors (the category text embeddings f_t of SEG-SAM's T2VSE).</summary>
public interface ITextEncoder
{
    /// <summary>Names the encoder and everything that changes its vectors (model, endpoint, dimension); cache keys include it.</summary>
    string Id { get; }

    /// <summary>The length of every vector <see cref="Encode"/> returns.</summary>
    int Dimension { get; }

    /// <summary>One vector per text, in the order of <paramref name="texts"/>.</summary>
    float[][] Encode(IReadOnlyList<string> texts);
}
