using SegSam.Tests.Support;
using static SegSam.Tests.Imaging.DicomTests;

namespace SegSam.Tests.DicomWeb;

/// <summary>
/// One Orthanc for all DICOMweb tests (they share the collection <see cref="PacsCollection"/>),
/// loaded over its REST API with:
/// study <see cref="CtStudy"/>: one axial CT series of 8 slices 40×32 with a bright block, some
/// instances stored compressed by dcmtk (RLE, JPEG lossless SV1, JPEG-LS lossless), so that a
/// retrieval returns mixed transfer syntaxes; <see cref="PlainSeries"/> holds its uncompressed files;
/// study <see cref="TwoSeriesStudy"/>: two CT series, so that the series must be chosen.
/// </summary>
public sealed class PacsFixture : IDisposable
{
    public OrthancServer Orthanc { get; } = new();
    public TempDir Data { get; } = new();

    public string CtStudy { get; } = "1.2.826.0.1.3680043.8.498.7001";
    public string CtSeries { get; } = "1.2.826.0.1.3680043.8.498.7001.1";
    public string TwoSeriesStudy { get; } = "1.2.826.0.1.3680043.8.498.7002";
    public string[] TwoSeries { get; } = ["1.2.826.0.1.3680043.8.498.7002.1", "1.2.826.0.1.3680043.8.498.7002.2"];

    /// <summary>The CT series' uncompressed files (what Orthanc holds, before compression).</summary>
    public string PlainSeries => Path.Combine(Data.Path, "plain");

    /// <summary>The transfer syntaxes the CT series was stored with, one per compressed instance besides explicit VR little endian.</summary>
    public static readonly string[] StoredSyntaxes = ["1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80"];

    public PacsFixture()
    {
        try
        {
            string stored = Path.Combine(Data.Path, "stored");
            Directory.CreateDirectory(PlainSeries);
            Directory.CreateDirectory(stored);
            WriteCtSeries(PlainSeries, CtStudy, CtSeries, "abdomen ct", 1, 8);
            // Slices 1–3 stored compressed (RLE, JPEG lossless SV1, JPEG-LS lossless), the rest as written.
            string[] tools = ["dcmcrle", "dcmcjpeg", "dcmcjpls"];
            foreach (string file in Directory.GetFiles(PlainSeries).Order(StringComparer.Ordinal))
            {
                int k = int.Parse(Path.GetFileNameWithoutExtension(file)[2..]);
                string target = Path.Combine(stored, Path.GetFileName(file));
                if (k is >= 1 and <= 3) Dcmtk(tools[k - 1], file, target);
                else File.Copy(file, target);
            }
            Orthanc.Upload(Directory.GetFiles(stored));

            for (int s = 0; s < 2; s++)
            {
                string folder = Path.Combine(Data.Path, $"two-{s}");
                Directory.CreateDirectory(folder);
                WriteCtSeries(folder, TwoSeriesStudy, TwoSeries[s], s == 0 ? "arterial" : "venous", s + 1, 3);
                Orthanc.Upload(Directory.GetFiles(folder));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes an axial CT series with pydicom: <paramref name="count"/> slices of 40 columns × 32
    /// rows, 0.8 mm pixels, 2.5 mm apart, soft tissue (40 HU) with a block of 200 HU over
    /// columns 10–24, rows 8–20, slices 2–5, and a little noise; files IM0000.dcm, IM0001.dcm …
    /// </summary>
    public static void WriteCtSeries(string folder, string study, string series, string description, int seriesNumber, int count)
    {
        Python.Run($$"""
            import os, numpy as np, pydicom
            from pydicom.dataset import Dataset, FileMetaDataset
            from pydicom.uid import ExplicitVRLittleEndian
            folder, study, series, count = r'{{folder}}', '{{study}}', '{{series}}', {{count}}
            rng = np.random.default_rng({{seriesNumber}})
            for k in range(count):
                ds = Dataset()
                ds.file_meta = FileMetaDataset(); ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
                ds.file_meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.2'
                ds.file_meta.MediaStorageSOPInstanceUID = f'{series}.{k + 1}'
                ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID; ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
                ds.PatientID = 'PACS-1'; ds.PatientName = 'Test^Pacs'; ds.StudyInstanceUID = study; ds.SeriesInstanceUID = series
                ds.StudyDate = '20260101'; ds.StudyID = '1'; ds.AccessionNumber = ''
                ds.Modality = 'CT'; ds.SeriesDescription = '{{description}}'; ds.SeriesNumber = {{seriesNumber}}; ds.InstanceNumber = k + 1
                ds.FrameOfReferenceUID = study + '.9'
                ds.Rows, ds.Columns = 32, 40
                ds.SamplesPerPixel = 1; ds.PhotometricInterpretation = 'MONOCHROME2'
                ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
                ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
                ds.PixelSpacing = [0.8, 0.8]; ds.SliceThickness = 2.5
                ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
                ds.ImagePositionPatient = [-16.0, -12.8, 2.5 * k]
                img = (1064 + rng.integers(-20, 20, (32, 40))).astype(np.uint16)
                if 2 <= k <= 5: img[8:21, 10:25] += 160
                ds.PixelData = img.astype('<u2').tobytes()
                ds.is_little_endian, ds.is_implicit_VR = True, False
                ds.save_as(os.path.join(folder, 'IM%04d.dcm' % k), write_like_original=False)
            """);
    }

    public void Dispose()
    {
        Orthanc.Dispose();
        Data.Dispose();
    }
}

/// <summary>The DICOMweb tests share one Orthanc (<see cref="PacsFixture"/>) and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PacsCollection : ICollectionFixture<PacsFixture>
{
    public const string Name = "pacs";
}
