using SegSam.Imaging;

namespace SegSam.Data;

/// <summary>
/// Class-agnostic objects of the built-in brain, in the spirit of SAM's data engine ("segment
/// anything"), made from what Debian's mricron-data ships on the Colin27 grid: intensity classes
/// of the brain (2, 3 and 4 k-means levels; the 3-level one is CSF / grey / white matter) and the
/// connected pieces of the 3-level classes, the brain (ch2bet) and the head, and the parcels of the
/// other atlases of the same brain (Brodmann, Harvard-Oxford cortical, JHU white-matter tracts,
/// JHU 189, natbrainlab, AICHA). Each source is one map of non-overlapping objects; maps overlap.
/// </summary>
public sealed class AgnosticObjects
{
    /// <summary>The atlases resampled onto the Colin27 grid (nearest neighbour through the affines), in map order.</summary>
    public static readonly IReadOnlyList<string> AtlasFiles =
    [
        "brodmann.nii.gz", "HarvardOxford-cort-maxprob-thr0-1mm.nii.gz", "JHU-WhiteMatter-labels-1mm.nii.gz",
        "jhu189.nii.gz", "natbrainlab.nii.gz", "AICHAmc.nii.gz",
    ];

    /// <summary>Map names in the order of a slice's <see cref="LabelledSlice.Objects"/>.</summary>
    public static readonly IReadOnlyList<string> MapNames =
    [
        "tissue-3", "tissue-3-pieces", "tissue-2", "tissue-4", "brain", "head",
        "brodmann", "harvard-oxford", "jhu-white-matter", "jhu189", "natbrainlab", "aicha",
    ];

    /// <summary>Index of the map whose objects are the connected pieces of the 3-level classes (made per slice).</summary>
    const int PiecesMap = 1;

    /// <summary>The intensity-class maps and their number of k-means levels; the pieces map is made from tissue-3.</summary>
    static readonly (string Map, int Levels)[] IntensityMaps = [("tissue-3", 3), ("tissue-2", 2), ("tissue-4", 4)];

    readonly Volume[] volumes;

    AgnosticObjects(Volume[] volumes) => this.volumes = volumes;

    /// <summary>The 3-level tissue classes on the image's grid: 0 outside the brain, 1 CSF, 2 grey, 3 white matter.</summary>
    public Volume Tissue => volumes[0];

    /// <summary>Builds the object volumes on the grid of <paramref name="normalised"/> (ch2, intensities in [0, 255]).</summary>
    public static AgnosticObjects Build(Volume normalised, Volume brainExtracted, string templates)
    {
        if (!brainExtracted.Dims.SequenceEqual(normalised.Dims)) throw new InvalidDataException("ch2bet.nii.gz and ch2.nii.gz are on different grids");
        var brain = brainExtracted.Data.Select(v => v > 0).ToArray();
        var maps = new Volume[MapNames.Count];
        Volume Map(int[] values) => normalised.WithData(values.Select(v => (float)v).ToArray(), "int32");
        foreach (var (name, levels) in IntensityMaps)
            maps[IndexOf(MapNames, name)] = Map(IntensityClasses.KMeans(normalised.Data, brain, levels));
        maps[PiecesMap] = maps[0];
        maps[4] = Map(brain.Select(b => b ? 1 : 0).ToArray());
        maps[5] = Map(HeadMask(normalised, brain).Select(b => (int)b).ToArray());
        for (int a = 0; a < AtlasFiles.Count; a++)
        {
            string path = Path.Combine(templates, AtlasFiles[a]);
            var atlas = Orientation.Canonical(NiftiFile.Read(path).Volume).Canonical;
            maps[6 + a] = ResampleNearest(atlas, normalised);
        }
        return new AgnosticObjects(maps);
    }

    /// <summary>The object maps of axial slice <paramref name="k"/>, squared and resized like the image (nearest neighbour).</summary>
    public int[][] Slice(int k, int size)
    {
        var result = new int[volumes.Length][];
        for (int m = 0; m < volumes.Length; m++)
        {
            var (pixels, h, w) = SliceGeometry.Extract(volumes[m], 2, k);
            var resized = SliceGeometry.SquareResize(pixels, h, w, size, labels: true).Select(v => (int)Math.Round(v)).ToArray();
            result[m] = m == PiecesMap ? Pieces(resized, size, size) : resized;
        }
        return result;
    }

    /// <summary>
    /// The slice with its intensity-class maps (tissue-3, its pieces, tissue-2, tissue-4) made
    /// again from the slice's own image, by k-means inside its brain map, so that they follow the
    /// grey levels the model is shown after appearance changes: the volume's classes keep ch2's
    /// borders between tissues, which another contrast, a bias field or a skull-stripped edge moves
    /// (a stripped brain's darkened rim becomes CSF, as it is in a skull-stripped scan's own
    /// classes). Maps are found by <paramref name="mapNames"/>; a slice with fewer than 4 brain
    /// pixels (tissue-4's classes) keeps its maps.
    /// </summary>
    public static LabelledSlice Reclassified(LabelledSlice slice, IReadOnlyList<string> mapNames)
    {
        int brainIndex = IndexOf(mapNames, "brain");
        if (brainIndex < 0 || brainIndex >= slice.Objects.Count) return slice;
        var brain = slice.Objects[brainIndex].Select(v => v > 0).ToArray();
        if (brain.Count(b => b) < 4) return slice;
        var objects = slice.Objects.ToArray();
        void Set(string name, int[] map)
        {
            int index = IndexOf(mapNames, name);
            if (index >= 0 && index < objects.Length) objects[index] = map;
        }
        foreach (var (name, levels) in IntensityMaps)
        {
            var classes = IntensityClasses.KMeans(slice.Image, brain, levels);
            Set(name, classes);
            if (name == MapNames[0]) Set(MapNames[PiecesMap], Pieces(classes, slice.Height, slice.Width));
        }
        return slice with { Objects = objects };
    }

    static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
            if (names[i] == name) return i;
        return -1;
    }

    /// <summary>The 8-connected pieces of each class of a class map, numbered 1… across classes.</summary>
    public static int[] Pieces(int[] classes, int height, int width)
    {
        var pieces = new int[classes.Length];
        int next = 0;
        foreach (int c in classes.Where(v => v > 0).Distinct().Order())
        {
            var components = ConnectedComponents.Label(classes.Select(v => v == c ? (byte)1 : (byte)0).ToArray(), [height, width], 8);
            for (int i = 0; i < pieces.Length; i++)
                if (components.Labels[i] > 0) pieces[i] = next + components.Labels[i];
            next += components.Count;
        }
        return pieces;
    }

    /// <summary>
    /// The head: the largest 6-connected region of the brighter of two intensity classes of the
    /// whole image, with everything it encloses in its axial plane (ventricles, the CSF between
    /// skull and brain: what the outside air does not reach within the slice) and the brain.
    /// </summary>
    static byte[] HeadMask(Volume normalised, bool[] brain)
    {
        var all = new bool[normalised.Data.Length];
        Array.Fill(all, true);
        var classes = IntensityClasses.KMeans(normalised.Data, all, 2);
        var bright = ConnectedComponents.Largest(classes.Select(c => c == 2 ? (byte)1 : (byte)0).ToArray(), normalised.Dims, 6);
        int nx = normalised.Nx, ny = normalised.Ny, plane = nx * ny;
        var head = new byte[bright.Length];
        for (int z = 0; z < normalised.Nz; z++)
        {
            var outside = new byte[plane];
            for (int i = 0; i < plane; i++) outside[i] = (byte)(1 - bright[z * plane + i]);
            // 4-connected so that the air cannot slip through a diagonal gap in the scalp.
            var air = ConnectedComponents.Label(outside, [ny, nx], 4);
            var reachesEdge = new HashSet<int>();
            for (int x = 0; x < nx; x++) { reachesEdge.Add(air.Labels[x]); reachesEdge.Add(air.Labels[(ny - 1) * nx + x]); }
            for (int y = 0; y < ny; y++) { reachesEdge.Add(air.Labels[y * nx]); reachesEdge.Add(air.Labels[y * nx + nx - 1]); }
            for (int i = 0; i < plane; i++)
            {
                bool isAir = outside[i] == 1 && reachesEdge.Contains(air.Labels[i]);
                head[z * plane + i] = (byte)(!isAir || brain[z * plane + i] ? 1 : 0);
            }
        }
        return head;
    }

    /// <summary>A label volume on the grid of <paramref name="target"/>: each voxel takes the nearest source voxel at the same world position (0 outside).</summary>
    public static Volume ResampleNearest(Volume source, Volume target)
    {
        var toVoxel = AffineMath.InverseAffine(source.Affine) ?? throw new InvalidDataException($"{source.Source}: singular affine");
        var toSource = AffineMath.Multiply(toVoxel, target.Affine);
        var data = new float[target.Data.Length];
        int nx = target.Nx, ny = target.Ny, nz = target.Nz;
        for (int z = 0; z < nz; z++)
        for (int y = 0; y < ny; y++)
        for (int x = 0; x < nx; x++)
        {
            int sx = (int)Math.Round(toSource[0, 0] * x + toSource[0, 1] * y + toSource[0, 2] * z + toSource[0, 3]);
            int sy = (int)Math.Round(toSource[1, 0] * x + toSource[1, 1] * y + toSource[1, 2] * z + toSource[1, 3]);
            int sz = (int)Math.Round(toSource[2, 0] * x + toSource[2, 1] * y + toSource[2, 2] * z + toSource[2, 3]);
            if (sx < 0 || sy < 0 || sz < 0 || sx >= source.Nx || sy >= source.Ny || sz >= source.Nz) continue;
            data[x + (long)nx * (y + (long)ny * z)] = source[sx, sy, sz];
        }
        return target.WithData(data, "int32");
    }
}
