using System.Numerics;

namespace SegSam.Imaging.Hdf5;

/// <summary>
/// An extensible array chunk index (File Format Specification, Appendix C.D), used for
/// datasets with one unlimited dimension. Its "EAHD" header gives the creation parameters; the
/// "EAIB" index block holds the first elements, the addresses of the first super blocks' data
/// blocks and of the later "EASB" secondary blocks, which list further "EADB" data blocks. Super
/// block s has 2^(s/2) data blocks of 2^((s+1)/2) × (minimum) elements; data blocks larger than a
/// page are stored as checksummed pages. Every block is checksummed and read once.
/// </summary>
internal static class ExtensibleArray
{
    /// <summary>Calls <paramref name="element"/> with each stored element's index and a reader over its bytes.</summary>
    public static void Walk(Hdf5Source source, long address, int expectedElementSize, string what, Action<long, FieldReader> element)
    {
        string where = $"{what}: extensible array at {address}";
        int o = source.OffsetSize, l = source.LengthSize;
        var header = source.Fields(address, 4 + 1 + 1 + 6 + 6 * l + o + 4, where);
        header.Signature("EAHD");
        if (header.U8() != 0) throw source.Fail($"{where}: unsupported version");
        header.U8(); // client ID
        int elementSize = header.U8();
        int maxElementBits = header.U8();
        int indexElements = header.U8();
        int dataBlockMinElements = header.U8();
        int superBlockMinPointers = header.U8();
        int pageBits = header.U8();
        for (int i = 0; i < 4; i++) header.Length("statistics");
        long maxIndexSet = header.Length("maximum index set");
        header.Length("elements realised");
        long indexAddress = header.Address();
        header.Checksum();
        if (elementSize != expectedElementSize) throw source.Fail($"{where}: elements of {elementSize} bytes, expected {expectedElementSize}");
        if (maxElementBits is < 1 or > 48 || dataBlockMinElements < 1 || !BitOperations.IsPow2(dataBlockMinElements)
            || superBlockMinPointers < 1 || !BitOperations.IsPow2(superBlockMinPointers) || pageBits is < 1 or > 31
            || BitOperations.Log2((uint)dataBlockMinElements) > maxElementBits)
            throw source.Fail($"{where}: its creation parameters are not valid");
        if (indexAddress == FieldReader.Undefined) return;

        // Super block layout (the library's H5EA header initialisation, restated): counts and first indices.
        int superBlocks = 1 + maxElementBits - BitOperations.Log2((uint)dataBlockMinElements);
        var dataBlocks = new long[superBlocks];
        var blockElements = new long[superBlocks];
        var firstIndex = new long[superBlocks];
        long next = 0;
        for (int s = 0; s < superBlocks; s++)
        {
            dataBlocks[s] = 1L << (s / 2);
            blockElements[s] = (1L << ((s + 1) / 2)) * dataBlockMinElements;
            firstIndex[s] = next;
            next += dataBlocks[s] * blockElements[s]; // about 2^(bits) at most: no overflow with at most 48 bits
        }
        int indexSuperBlocks = Math.Min(superBlocks, 2 * BitOperations.Log2((uint)superBlockMinPointers));
        int directDataBlocks = 2 * (superBlockMinPointers - 1);
        int secondaryBlocks = superBlocks - indexSuperBlocks;
        int offsetBytes = (maxElementBits + 7) / 8;
        long pageElements = 1L << pageBits;

        string index = $"{where}: index block at {indexAddress}";
        var fields = source.Fields(indexAddress,
            checked(4 + 1 + 1 + o + (long)indexElements * elementSize + (long)(directDataBlocks + secondaryBlocks) * o + 4), index);
        fields.Signature("EAIB");
        if (fields.U8() != 0) throw source.Fail($"{index}: unsupported version");
        fields.U8();
        if (fields.Address() != address) throw source.Fail($"{index}: does not belong to its header");
        for (int i = 0; i < indexElements; i++)
        {
            var value = fields.Copy(elementSize);
            if (i < maxIndexSet) element(i, new FieldReader(source, value, index));
        }
        var direct = new long[directDataBlocks];
        for (int i = 0; i < directDataBlocks; i++) direct[i] = fields.Address();
        var secondary = new long[secondaryBlocks];
        for (int i = 0; i < secondaryBlocks; i++) secondary[i] = fields.Address();
        fields.Checksum();

        var seen = new HashSet<long>();
        void DataBlock(long blockAddress, int s, long firstElement, byte[]? pageBitmap, long bitmapFirst)
        {
            if (blockAddress == FieldReader.Undefined || firstElement >= maxIndexSet) return;
            if (!seen.Add(blockAddress)) throw source.Fail($"{where}: block at {blockAddress} is listed twice");
            source.Step(where);
            ReadDataBlock(source, address, blockAddress, firstElement, blockElements[s], elementSize, offsetBytes, pageElements,
                pageBitmap, bitmapFirst, maxIndexSet, where, element);
        }

        int directAt = 0;
        for (int s = 0; s < indexSuperBlocks; s++)
            for (long d = 0; d < dataBlocks[s]; d++, directAt++)
                if (directAt < direct.Length)
                    DataBlock(direct[directAt], s, indexElements + firstIndex[s] + d * blockElements[s], null, 0);

        for (int i = 0; i < secondaryBlocks; i++)
        {
            int s = indexSuperBlocks + i;
            long superFirst = indexElements + firstIndex[s];
            if (secondary[i] == FieldReader.Undefined || superFirst >= maxIndexSet) continue;
            if (!seen.Add(secondary[i])) throw source.Fail($"{where}: block at {secondary[i]} is listed twice");
            string block = $"{where}: secondary block at {secondary[i]}";
            bool paged = blockElements[s] > pageElements;
            long pagesPerBlock = paged ? blockElements[s] / pageElements : 0;
            int bitmapBytes = paged ? checked((int)((dataBlocks[s] * pagesPerBlock + 7) / 8)) : 0;
            var sblock = source.Fields(secondary[i], checked(4 + 1 + 1 + o + offsetBytes + bitmapBytes + dataBlocks[s] * o + 4), block);
            sblock.Signature("EASB");
            if (sblock.U8() != 0) throw source.Fail($"{block}: unsupported version");
            sblock.U8();
            if (sblock.Address() != address) throw source.Fail($"{block}: does not belong to its header");
            sblock.Unsigned(offsetBytes);
            var bitmap = sblock.Copy(bitmapBytes);
            var addresses = new long[dataBlocks[s]];
            for (long d = 0; d < dataBlocks[s]; d++) addresses[d] = sblock.Address();
            sblock.Checksum();
            for (long d = 0; d < dataBlocks[s]; d++)
                DataBlock(addresses[d], s, superFirst + d * blockElements[s], paged ? bitmap : null, d * pagesPerBlock);
        }
    }

    /// <summary>
    /// "EADB": version, client ID, header address, block offset, then the elements and a checksum, or,
    /// when the block is larger than a page, a checksum and the pages (each its elements and a checksum)
    /// whose bits are set in the secondary block's page bitmap.
    /// </summary>
    static void ReadDataBlock(Hdf5Source source, long header, long address, long firstElement, long elements, int elementSize,
        int offsetBytes, long pageElements, byte[]? pageBitmap, long bitmapFirst, long maxIndexSet, string where,
        Action<long, FieldReader> element)
    {
        string block = $"{where}: data block at {address}";
        bool paged = pageBitmap is not null;
        int prefix = 4 + 1 + 1 + source.OffsetSize + offsetBytes;
        var fields = source.Fields(address, checked(prefix + (paged ? 0 : elements * elementSize) + 4), block);
        fields.Signature("EADB");
        if (fields.U8() != 0) throw source.Fail($"{block}: unsupported version");
        fields.U8();
        if (fields.Address() != header) throw source.Fail($"{block}: does not belong to its header");
        fields.Unsigned(offsetBytes); // block offset: the library's own bookkeeping, not needed to place the elements
        if (!paged)
        {
            int at = fields.Position;
            fields.Skip(checked((int)(elements * elementSize)));
            fields.Checksum();
            for (long i = 0; i < elements && firstElement + i < maxIndexSet; i++)
                element(firstElement + i, new FieldReader(source, fields.Bytes.AsSpan(at + (int)(i * elementSize), elementSize).ToArray(), block));
            return;
        }
        fields.Checksum();
        long pageAddress = checked(address + fields.Position);
        long pageLength = checked(pageElements * elementSize + 4);
        for (long page = 0; page < elements / pageElements; page++, pageAddress = checked(pageAddress + pageLength))
        {
            long bit = bitmapFirst + page;
            long first = firstElement + page * pageElements;
            if ((pageBitmap![bit / 8] & (0x80 >> (int)(bit % 8))) == 0 || first >= maxIndexSet) continue;
            source.Step(block);
            var pageFields = source.Fields(pageAddress, pageLength, $"{block}: page {page}");
            pageFields.Skip(checked((int)(pageElements * elementSize)));
            pageFields.Checksum();
            for (long i = 0; i < pageElements && first + i < maxIndexSet; i++)
                element(first + i, new FieldReader(source, pageFields.Bytes.AsSpan((int)(i * elementSize), elementSize).ToArray(), block));
        }
    }
}
