using System.Diagnostics;
using System.Text.Json;
using SegSam.Imaging;
using SegSam.Tests.Support;

namespace SegSam.Tests.Imaging;

/// <summary>Valid HDF5 files from h5py covering what the reader supports, with h5py's values and listings as references.</summary>
public sealed class Hdf5ReferenceFiles() : PythonReferenceFiles(Hdf5Scripts.Valid);

/// <summary>The hostile files that crashed, hung or misled the PureHDF-based reader, made with h5py.</summary>
public sealed class Hdf5HostileFiles() : PythonReferenceFiles(Hdf5Scripts.Hostile);

/// <summary>Every valid case reads bit for bit as h5py reads it; datasets are listed as h5py's visititems lists them.</summary>
public sealed class Hdf5ReaderTests(Hdf5ReferenceFiles files) : IClassFixture<Hdf5ReferenceFiles>
{
    [Fact]
    public void Every_dataset_reads_as_h5py_reads_it()
    {
        var problems = new List<string>();
        int count = 0;
        foreach (var c in files.Case("cases").EnumerateArray())
        {
            string file = c.GetProperty("file").GetString()!, name = c.GetProperty("dataset").GetString()!;
            var expected = NpyFile.Read(files.File(c.GetProperty("ref").GetString()!));
            count++;
            try
            {
                var actual = Hdf5File.ReadDataset(files.File(file), name);
                if (actual.DType != expected.DType || !actual.Shape.SequenceEqual(expected.Shape) || !actual.Data.AsSpan().SequenceEqual(expected.Data))
                    problems.Add($"{file} {name}: {actual.DType.Name} [{string.Join(",", actual.Shape)}] differs from h5py's {expected.DType.Name} [{string.Join(",", expected.Shape)}]");
            }
            catch (InvalidDataException e)
            {
                problems.Add($"{file} {name}: {e.Message}");
            }
        }
        Assert.True(count > 100, $"only {count} cases");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Datasets_are_listed_as_h5py_visits_them()
    {
        foreach (var file in files.Case("listing").EnumerateObject())
        {
            var expected = file.Value.EnumerateArray().Select(n => n.GetString()!).ToArray();
            Assert.Equal(expected, Hdf5File.ListDatasets(files.File(file.Name)));
        }
    }

    [Fact]
    public void Unsupported_type_is_refused_naming_it()
    {
        using var dir = new TempDir();
        string path = dir.File("u64.h5");
        Python.Run("""
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], 'w') as f:
                f['big'] = np.arange(3, dtype='>u8')
                f['flags'] = np.array([True, False])
                f['scalar'] = 3.5
            """, [path]);
        FormatErrors.Rejected(path, () => Hdf5File.ReadDataset(path, "big"), "unsupported type uint64 (big-endian)");
        FormatErrors.Rejected(path, () => Hdf5File.ReadDataset(path, "flags"), "unsupported type enum");
        FormatErrors.Rejected(path, () => Hdf5File.ReadDataset(path, "scalar"), "is a scalar");
    }

    /// <summary>Truncations at many offsets and single-byte changes at many places: success or a clean refusal, quickly, in bounded memory.</summary>
    [Theory]
    [InlineData("fuzz_earliest.h5")]
    [InlineData("fuzz_latest.h5")]
    public void Damaged_files_are_read_or_refused_cleanly(string name)
    {
        byte[] original = File.ReadAllBytes(files.File(name));
        var datasets = Hdf5File.ListDatasets(files.File(name)).Append("alias").ToArray();
        using var dir = new TempDir();
        string path = dir.File(name);
        var random = new Random(1234);
        var damaged = new List<(string What, byte[] Bytes)>();
        for (int length = 0; length < original.Length; length += 1 + length / 40)
            damaged.Add(($"first {length} bytes", original[..length]));
        for (int i = 0; i < 500; i++)
        {
            var bytes = (byte[])original.Clone();
            int at = random.Next(bytes.Length);
            byte change = (byte)random.Next(1, 256);
            bytes[at] ^= change;
            damaged.Add(($"byte {at} xor 0x{change:x2}", bytes));
        }
        foreach (var (what, bytes) in damaged)
        {
            File.WriteAllBytes(path, bytes);
            Hdf5Runs.Cleanly(path, what, bytes.Length, () =>
            {
                foreach (var dataset in datasets) Hdf5Runs.ReadOrRefuse(path, () => Hdf5File.ReadDataset(path, dataset));
                Hdf5Runs.ReadOrRefuse(path, () => Hdf5File.ListDatasets(path));
            });
        }
    }
}

/// <summary>Each hostile file fails with <see cref="InvalidDataException"/> naming the file and the problem, within seconds.</summary>
public sealed class Hdf5HostileTests(Hdf5HostileFiles files) : IClassFixture<Hdf5HostileFiles>
{
    [Theory]
    [InlineData("loop_self.h5", "image", "soft link 'image' → '/image' → '/image' loops")]
    [InlineData("loop_two.h5", "image", "soft link 'image' → '/b' → '/image' → '/b' loops")]
    [InlineData("loop_group.h5", "image", "no dataset 'image' (datasets: none)")]
    [InlineData("loop_group.h5", "a/image", "loops")]
    [InlineData("external_link.h5", "image", "'image' is an external link to '/image' in file")]
    [InlineData("chain_earliest.h5", "image", "more than 16 soft links")]
    [InlineData("chain_latest.h5", "image", "more than 16 soft links")]
    [InlineData("self_group.h5", "image", "no dataset 'image' (datasets: g/data)")]
    [InlineData("fletcher32_flipped.h5", "image", "dataset 'image': chunk at (0, 0, 0): fletcher32 checksum mismatch")]
    [InlineData("too_large.h5", "image", "dataset 'image' is too large: 100000×100000×1000 float32 = 4e13 bytes")]
    [InlineData("external_storage.h5", "image", "dataset 'image' keeps its data in external files, which are not read ('raw.bin')")]
    [InlineData("bomb.h5", "image", "dataset 'image': chunk at (0, 0): deflate data inflates past the chunk's 131072 bytes")]
    public void Hostile_file_is_refused(string name, string dataset, string problem)
    {
        string path = files.File(name);
        Hdf5Runs.Cleanly(path, name, new FileInfo(path).Length, () =>
        {
            var e = Assert.Throws<InvalidDataException>(() => Hdf5File.ReadDataset(path, dataset));
            Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
            Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        });
    }

    [Theory]
    [InlineData("loop_self.h5")]
    [InlineData("loop_two.h5")]
    [InlineData("loop_group.h5")]
    [InlineData("external_link.h5")]
    [InlineData("chain_earliest.h5", "data")]
    [InlineData("chain_latest.h5", "data")]
    [InlineData("self_group.h5", "g/data")]
    public void Hostile_links_are_not_followed_when_listing(string name, params string[] expected)
    {
        string path = files.File(name);
        Hdf5Runs.Cleanly(path, name, new FileInfo(path).Length, () => Assert.Equal(expected, Hdf5File.ListDatasets(path)));
    }

    [Fact]
    public void Valid_fletcher32_and_never_written_datasets_read_as_h5py_reads_them()
    {
        var expected = Enumerable.Range(0, 120).Select(i => i - 1000f).ToArray();
        Assert.Equal(expected, Hdf5File.ReadDataset(files.File("fletcher32.h5"), "image").ToFloat32());
        Assert.Equal(new float[120], Hdf5File.ReadDataset(files.File("unwritten.h5"), "image").ToFloat32());
        Assert.Equal(expected, Hdf5File.ReadDataset(files.File("self_group.h5"), "g/self/self/data").ToFloat32());
    }

    [Fact]
    public void Missing_file_is_file_not_found() =>
        Assert.Throws<FileNotFoundException>(() => Hdf5File.ReadDataset(files.File("absent.h5"), "image"));
}

/// <summary>Runs reads on a thread with a time limit, checking what may escape and how much is allocated.</summary>
static class Hdf5Runs
{
    /// <summary>
    /// Runs <paramref name="read"/> on its own thread: it must finish within 10 s and allocate less
    /// than 64 MiB + 1100 × the file's size (a deflate stream cannot inflate more than ~1032 times).
    /// </summary>
    public static void Cleanly(string path, string what, long fileSize, Action read)
    {
        Exception? error = null;
        long allocated = 0;
        var thread = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { read(); }
            catch (Exception e) { error = e; }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }) { IsBackground = true };
        var clock = Stopwatch.StartNew();
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)), $"{path} ({what}): reading did not finish within 10 s");
        if (error is not null) throw new Xunit.Sdk.XunitException($"{path} ({what}): {error.GetType().Name}: {error.Message}\n{error.StackTrace}");
        Assert.True(allocated < (64L << 20) + 1100 * fileSize, $"{path} ({what}): allocated {allocated} bytes for a file of {fileSize}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
    }

    /// <summary>A read succeeds or fails with <see cref="InvalidDataException"/> naming the file, not wrapping a runtime error.</summary>
    public static void ReadOrRefuse(string path, Action read)
    {
        try
        {
            read();
        }
        catch (InvalidDataException e)
        {
            Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
            Assert.True(e.InnerException is null or OverflowException or InvalidDataException,
                $"{e.Message} wraps {e.InnerException?.GetType().Name}\n{e.InnerException?.StackTrace}");
        }
    }
}

/// <summary>The Python scripts that write the HDF5 files.</summary>
static class Hdf5Scripts
{
    /// <summary>Valid files: every supported type and byte order, layout, chunk index, filter, group form and link kind.</summary>
    public const string Valid = """
        import sys, os, json
        import numpy as np
        import h5py

        out = sys.argv[1]
        rng = np.random.default_rng(5)
        cases = []  # (file, dataset) whose values h5py reads back as the reference

        def path(name):
            return os.path.join(out, name)

        def ref(fname, dset):
            with h5py.File(path(fname), 'r') as f:
                a = f[dset][()]
            key = f'{fname}:{dset}'
            np.save(path(f'ref{len(cases)}.npy'), a.astype(a.dtype.newbyteorder('<')))
            cases.append({'file': fname, 'dataset': dset, 'ref': f'ref{len(cases)}.npy'})

        def values(dtype, shape):
            dt = np.dtype(dtype)
            if dt.kind == 'f':
                return (rng.standard_normal(shape) * 100).astype(dt)
            info = np.iinfo(dt)
            return rng.integers(info.min, info.max, shape, endpoint=True, dtype=dt.newbyteorder('=')).astype(dt)

        # Every supported element type, both byte orders, contiguous, under each library version.
        types = ['i1', 'u1', '<i2', '>i2', '<u2', '>u2', '<i4', '>i4', '<i8', '>i8', '<f2', '>f2', '<f4', '>f4', '<f8', '>f8']
        for lib in ['earliest', 'v108', 'latest']:
            fname = f'types_{lib}.h5'
            with h5py.File(path(fname), 'w', libver=lib) as f:
                for t in types:
                    f.create_dataset('t' + t.replace('<', 'le').replace('>', 'be'), data=values(t, (3, 4, 5)))
            for t in types:
                ref(fname, 't' + t.replace('<', 'le').replace('>', 'be'))

        # Storage layouts and filters.
        a = values('<f4', (7, 9, 11))
        b = values('>i2', (13, 17))
        for lib in ['earliest', 'latest']:
            fname = f'layouts_{lib}.h5'
            with h5py.File(path(fname), 'w', libver=lib) as f:
                dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
                dcpl.set_layout(h5py.h5d.COMPACT)
                f.create_dataset('compact', data=b[:3, :5], dcpl=dcpl)
                f.create_dataset('contiguous', data=a)
                f.create_dataset('chunked', data=a, chunks=(2, 4, 5))
                f.create_dataset('deflate', data=a, chunks=(3, 4, 4), compression='gzip', compression_opts=6)
                f.create_dataset('shuffle', data=a, chunks=(3, 4, 4), shuffle=True)
                f.create_dataset('fletcher32', data=a, chunks=(3, 4, 4), fletcher32=True)
                f.create_dataset('all_filters', data=b, chunks=(4, 5), shuffle=True, compression='gzip', fletcher32=True)
                f.create_dataset('single_chunk', data=a, chunks=a.shape)
                f.create_dataset('single_chunk_deflate', data=a, chunks=a.shape, compression='gzip')
                f.create_dataset('edge', data=b, chunks=(5, 6))
                f.create_dataset('many_chunks', data=values('u1', (3000,)), chunks=(1,))
                f.create_dataset('many_chunks_deflate', data=values('<i4', (60, 50)), chunks=(1, 1), compression='gzip')
                f.create_dataset('unlimited0', data=a, chunks=(2, 4, 5), maxshape=(None, 9, 11))
                f.create_dataset('unlimited1', data=a, chunks=(2, 4, 5), maxshape=(7, None, 11), compression='gzip')
                f.create_dataset('unlimited_many', data=values('<i2', (4000, 3)), chunks=(1, 3), maxshape=(None, 3))
                f.create_dataset('unlimited_many_deflate', data=values('<i2', (5000, 2)), chunks=(1, 2), maxshape=(None, 2), compression='gzip', shuffle=True)
                f.create_dataset('unlimited_two', data=a, chunks=(2, 4, 5), maxshape=(None, None, 11))
                f.create_dataset('unlimited_two_many', data=values('<f8', (80, 60)), chunks=(2, 2), maxshape=(None, None), fletcher32=True)
                f.create_dataset('bigger_max', data=b, chunks=(5, 6), maxshape=(20, 30))
                f.create_dataset('empty', shape=(0, 4), dtype='f4', chunks=(2, 2), maxshape=(None, 4))
                # Never written: read as the fill value (default zero, or a chosen one).
                f.create_dataset('unwritten', shape=(4, 5, 6), dtype='f4')
                f.create_dataset('unwritten_chunked', shape=(4, 5, 6), dtype='<i2', chunks=(2, 2, 2), fillvalue=-7)
                f.create_dataset('unwritten_fill', shape=(4, 5), dtype='>f8', fillvalue=2.5)
                d = f.create_dataset('missing_chunks', shape=(10, 12), dtype='<i4', chunks=(3, 5), fillvalue=42, compression='gzip')
                d[0:3, 0:5] = 1
                d[9, 11] = 7
                d = f.create_dataset('missing_chunks_ea', shape=(10, 12), dtype='<u2', chunks=(3, 5), fillvalue=9, maxshape=(None, 12))
                d[4:6, :] = 3
                # Implicit chunk index: space allocated early, no filters.
                dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
                dcpl.set_chunk((2, 3))
                dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
                d = f.create_dataset('implicit', shape=(5, 7), dtype='<i4', dcpl=dcpl)
                d[...] = values('<i4', (5, 7))
            for name in ['compact', 'contiguous', 'chunked', 'deflate', 'shuffle', 'fletcher32', 'all_filters', 'single_chunk',
                         'single_chunk_deflate', 'edge', 'many_chunks', 'many_chunks_deflate', 'unlimited0', 'unlimited1', 'unlimited_many',
                         'unlimited_many_deflate', 'unlimited_two', 'unlimited_two_many', 'bigger_max', 'empty', 'unwritten',
                         'unwritten_chunked', 'unwritten_fill', 'missing_chunks', 'missing_chunks_ea', 'implicit']:
                ref(fname, name)

        # Groups: nested, old-style with many links, dense (more than 8 links under 'latest'), soft links.
        for lib in ['earliest', 'latest']:
            fname = f'groups_{lib}.h5'
            with h5py.File(path(fname), 'w', libver=lib) as f:
                f.create_dataset('top', data=values('<i4', (3,)))
                g = f.create_group('a/b/c')
                g.create_dataset('deep', data=values('<f4', (2, 2)))
                many = f.create_group('many')
                for i in range(300):
                    many.create_dataset(f'd{i:03d}', data=np.array([i], dtype='<i2'))
                f['alias'] = h5py.SoftLink('/a/b/c/deep')
                f['a/rel'] = h5py.SoftLink('b/c/deep')
                f['a/b/up'] = h5py.SoftLink('/a/rel')
                f['hard'] = f['top']
                f['self_group'] = f['a']
                t = np.dtype('<f8')
                f['committed'] = t
                f.create_dataset('typed', data=values('<f8', (4,)), dtype=f['committed'])
                # Attributes added after creation push messages into continuation blocks.
                for i in range(30):
                    f['top'].attrs[f'attribute{i}'] = np.arange(i + 1)
                    f['a'].attrs[f'attribute{i}'] = f'text {i}'
            for name in ['top', 'a/b/c/deep', 'many/d000', 'many/d123', 'many/d299', 'alias', 'a/rel', 'a/b/up', 'hard', 'typed']:
                ref(fname, name)

        # A user block before the HDF5 data.
        with h5py.File(path('userblock.h5'), 'w', userblock_size=512) as f:
            f.create_dataset('image', data=a)
        ref('userblock.h5', 'image')

        # Small files with a bit of everything, for the damage tests.
        for lib in ['earliest', 'latest']:
            with h5py.File(path(f'fuzz_{lib}.h5'), 'w', libver=lib) as f:
                f.create_dataset('image', data=values('<f4', (4, 6, 5)))
                f.create_dataset('label', data=values('u1', (4, 6, 5)), chunks=(2, 3, 5), compression='gzip', shuffle=True, fletcher32=True)
                f.create_dataset('grow', data=values('>i2', (9, 4)), chunks=(2, 4), maxshape=(None, 4))
                f.create_dataset('grow2', data=values('<i4', (5, 4)), chunks=(2, 2), maxshape=(None, None), compression='gzip')
                g = f.create_group('extra')
                for i in range(10):
                    g.create_dataset(f'x{i}', data=np.array([i, -i], dtype='<i8'))
                f['alias'] = h5py.SoftLink('/extra/x3')

        listing = {}
        for fname in sorted({c['file'] for c in cases}):
            names = []
            with h5py.File(path(fname), 'r') as f:
                f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
            listing[fname] = names
        with open(path('manifest.json'), 'w') as m:
            json.dump({'cases': cases, 'listing': listing}, m)
        """;

    /// <summary>Hostile files: link loops, long soft-link chains, self-containing groups, a corrupt checksum, a deflate bomb.</summary>
    public const string Hostile = """
        import sys, os, zlib
        import numpy as np
        import h5py

        out = sys.argv[1]
        def p(name): return os.path.join(out, name)
        a = np.arange(4 * 5 * 6, dtype='f4').reshape(4, 5, 6) - 1000

        with h5py.File(p('loop_self.h5'), 'w') as f:
            f['image'] = h5py.SoftLink('/image')
        with h5py.File(p('loop_two.h5'), 'w') as f:
            f['image'] = h5py.SoftLink('/b')
            f['b'] = h5py.SoftLink('/image')
        with h5py.File(p('loop_group.h5'), 'w') as f:
            f['a'] = h5py.SoftLink('/a')
        with h5py.File(p('external_link.h5'), 'w') as f:
            f['image'] = h5py.ExternalLink(p('external_link.h5'), '/image')
        for lib in ['earliest', 'latest']:
            with h5py.File(p(f'chain_{lib}.h5'), 'w', libver=lib) as f:
                f.create_dataset('data', data=a)
                n = 20000
                for i in range(n):
                    f[f'l{i}'] = h5py.SoftLink(f'/l{i + 1}' if i + 1 < n else '/data')
                f['image'] = h5py.SoftLink('/l0')
        with h5py.File(p('self_group.h5'), 'w') as f:
            g = f.create_group('g')
            g['self'] = g
            f['g/data'] = a
        with h5py.File(p('fletcher32.h5'), 'w') as f:
            d = f.create_dataset('image', data=a, chunks=(2, 5, 6), fletcher32=True)
            first = d.id.get_chunk_info(0).byte_offset
        with open(p('fletcher32.h5'), 'rb') as src:
            b = bytearray(src.read())
        b[first + 3] ^= 0x40
        with open(p('fletcher32_flipped.h5'), 'wb') as dst:
            dst.write(b)
        with h5py.File(p('unwritten.h5'), 'w') as f:
            f.create_dataset('image', shape=(4, 5, 6), dtype='f4')
        with h5py.File(p('too_large.h5'), 'w') as f:
            f.create_dataset('image', shape=(100000, 100000, 1000), dtype='f4', chunks=(1, 100, 100))
        with open(p('raw.bin'), 'wb') as raw:
            raw.write(a.tobytes())
        with h5py.File(p('external_storage.h5'), 'w') as f:
            f.create_dataset('image', shape=a.shape, dtype='f4', external=[('raw.bin', 0, h5py.h5f.UNLIMITED)])
        # A deflate bomb: a chunk's stored bytes replaced by zlib data that inflates to 100 MB.
        rng = np.random.default_rng(1)
        with h5py.File(p('bomb.h5'), 'w') as f:
            d = f.create_dataset('image', data=rng.random((64, 512), dtype='f4'), chunks=(64, 512), compression='gzip')
            info = d.id.get_chunk_info(0)
        bomb = zlib.compress(bytes(100 << 20), 9)
        assert len(bomb) <= info.size, (len(bomb), info.size)
        with open(p('bomb.h5'), 'r+b') as f:
            f.seek(info.byte_offset)
            f.write(bomb)
        """;
}
