namespace SegSam.Imaging.Hdf5;

/// <summary>
/// A fixed array chunk index (File Format Specification, Appendix C.C): a checksummed
/// "FAHD" header with the element size and count, and one "FADB" data block holding every
/// element, split into checksummed pages of 2^page bits elements when it has more. Elements
/// are chunk addresses (with size and filter mask when the dataset is filtered), in the order
/// of the chunks' linear index.
/// </summary>
internal static class FixedArray
{
    /// <summary>Calls <paramref name="element"/> with each element's index and a reader over its bytes.</summary>
    public static void Walk(Hdf5Source source, long address, long expectedCount, int expectedElementSize, string what, Action<long, FieldReader> element)
    {
        string where = $"{what}: fixed array at {address}";
        int o = source.OffsetSize;
        var header = source.Fields(address, 4 + 1 + 1 + 1 + 1 + source.LengthSize + o + 4, where);
        header.Signature("FAHD");
        if (header.U8() != 0) throw source.Fail($"{where}: unsupported version");
        header.U8(); // client ID
        int elementSize = header.U8();
        int pageBits = header.U8();
        long count = header.Length("element count");
        long dataAddress = header.Address();
        header.Checksum();
        if (elementSize != expectedElementSize) throw source.Fail($"{where}: elements of {elementSize} bytes, expected {expectedElementSize}");
        if (count != expectedCount) throw source.Fail($"{where}: {count} elements for a dataset of {expectedCount} chunks");
        if (pageBits is < 1 or > 31) throw source.Fail($"{where}: page bits {pageBits} is not valid");
        if (dataAddress == FieldReader.Undefined || count == 0) return;
        source.Step(where, (int)Math.Min(count, int.MaxValue));

        long pageElements = 1L << pageBits;
        bool paged = count > pageElements;
        long pages = paged ? (count + pageElements - 1) / pageElements : 0;
        int bitmapBytes = paged ? (int)((pages + 7) / 8) : 0;
        int prefix = 4 + 1 + 1 + o + bitmapBytes;
        string block = $"{where}: data block at {dataAddress}";
        var data = source.Fields(dataAddress, checked(prefix + (paged ? 0 : count * elementSize) + 4), block);
        data.Signature("FADB");
        if (data.U8() != 0) throw source.Fail($"{block}: unsupported version");
        data.U8();
        if (data.Address() != address) throw source.Fail($"{block}: does not belong to its header");
        var bitmap = data.Copy(bitmapBytes);
        if (!paged)
        {
            int elementsAt = data.Position;
            data.Skip(checked((int)(count * elementSize)));
            data.Checksum();
            for (long i = 0; i < count; i++)
                element(i, Element(source, data.Bytes, elementsAt + (int)(i * elementSize), elementSize, block));
            return;
        }
        data.Checksum();
        // Pages follow the block's prefix, each its elements and a checksum; the last may be short.
        long pageAddress = checked(dataAddress + data.Position);
        for (long page = 0; page < pages; page++)
        {
            long first = page * pageElements;
            long inPage = Math.Min(pageElements, count - first);
            long pageLength = checked(inPage * elementSize + 4);
            // A page never written (its bit clear, counting from each byte's high bit) holds no chunks.
            if ((bitmap[page / 8] & (0x80 >> (int)(page % 8))) != 0)
            {
                var fields = source.Fields(pageAddress, pageLength, $"{block}: page {page}");
                fields.Skip((int)(inPage * elementSize));
                fields.Checksum();
                for (long i = 0; i < inPage; i++)
                    element(first + i, Element(source, fields.Bytes, (int)(i * elementSize), elementSize, block));
            }
            pageAddress = checked(pageAddress + pageLength);
        }
    }

    static FieldReader Element(Hdf5Source source, byte[] bytes, int at, int size, string what) =>
        new(source, bytes.AsSpan(at, size).ToArray(), what);
}
