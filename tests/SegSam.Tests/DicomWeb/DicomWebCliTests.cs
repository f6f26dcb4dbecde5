using SegSam.Data.DicomWeb;
using SegSam.Imaging;
using SegSam.Tests.Support;

namespace SegSam.Tests.DicomWeb;

/// <summary>`segsam segment --dicomweb` as a process, against the shared Orthanc, with a tiny (untrained) model.</summary>
[Collection(PacsCollection.Name)]
public sealed class DicomWebCliTests(PacsFixture pacs)
{
    static string TinyModel(TempDir dir) => SegSam.Tests.Cli.SegmentCliTests.TinyModel(dir);

    [Fact]
    public void Segmenting_a_series_from_the_pacs_gives_the_labels_of_its_files()
    {
        using var dir = new TempDir();
        string model = TinyModel(dir);
        var fromPacs = Support.Cli.Run("segment", "--dicomweb", pacs.Orthanc.DicomWebUrl, "--study", pacs.CtStudy, "--model", model,
            "--box", "14,10,30,24", "--propagate", "--out", dir.File("pacs"));
        Assert.True(fromPacs.ExitCode == 0, fromPacs.ToString());
        Assert.Contains($"retrieved 8 instance(s)", fromPacs.StdOut);
        Assert.Contains(pacs.CtSeries, fromPacs.StdOut);
        var fromFiles = Support.Cli.Run("segment", "--image", pacs.PlainSeries, "--model", model,
            "--box", "14,10,30,24", "--propagate", "--out", dir.File("files"));
        Assert.True(fromFiles.ExitCode == 0, fromFiles.ToString());

        var a = MedicalImage.Load(dir.File("pacs/labels.nii.gz"));
        var b = MedicalImage.Load(dir.File("files/labels.nii.gz"));
        Assert.Equal([40, 32, 8], a.Dims);
        Assert.Equal(b.Data, a.Data);
        Assert.Equal(b.Affine.Cast<double>(), a.Affine.Cast<double>());
        Assert.Contains(a.Data, v => v > 0);
    }

    [Fact]
    public void Store_sends_the_seg_and_rtstruct_back_and_they_read_back_from_the_pacs()
    {
        using var dir = new TempDir();
        // A study of its own, so that the shared CT study keeps its single series.
        string study = "1.2.826.0.1.3680043.8.498.7004", ct = study + ".1";
        Directory.CreateDirectory(dir.File("ct"));
        PacsFixture.WriteCtSeries(dir.File("ct"), study, ct, "for store", 1, 8);
        pacs.Orthanc.Upload(Directory.GetFiles(dir.File("ct")));
        string model = TinyModel(dir), output = dir.File("out");

        var run = Support.Cli.Run("segment", "--dicomweb", pacs.Orthanc.DicomWebUrl, "--study", study, "--model", model,
            "--box", "14,10,30,24", "--propagate", "--out-format", "nifti,dicom-seg,rtstruct", "--store", "--out", output);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"stored 2 DICOM object(s) on {pacs.Orthanc.DicomWebUrl}/: segmentation.seg.dcm, rtstruct.dcm", run.StdOut);

        // QIDO finds the two new series next to the CT; WADO returns exactly the files the run wrote.
        var client = new DicomWebClient(pacs.Orthanc.DicomWebUrl);
        var series = client.SearchSeries(study);
        Assert.Equal(["CT", "RTSTRUCT", "SEG"], series.Select(s => s.Modality).Order());
        foreach (var (modality, file) in new[] { ("SEG", "segmentation.seg.dcm"), ("RTSTRUCT", "rtstruct.dcm") })
        {
            var back = client.RetrieveSeries(study, series.Single(s => s.Modality == modality), dir.File("back-" + modality));
            Assert.Equal(File.ReadAllBytes(Path.Combine(output, file)), File.ReadAllBytes(Assert.Single(back.Files)));
        }
        // pydicom reads the SEG from the PACS: it references the CT series, and its frames hold the labelled voxels of labels.nii.gz.
        var check = Python.Run($$"""
            import glob, pydicom, numpy as np, nibabel as nib
            seg = pydicom.dcmread(glob.glob(r'{{dir.File("back-SEG")}}/*.dcm')[0])
            labels = np.asarray(nib.load(r'{{Path.Combine(output, "labels.nii.gz")}}').dataobj)
            print(seg.Modality, seg.StudyInstanceUID == '{{study}}', seg.ReferencedSeriesSequence[0].SeriesInstanceUID == '{{ct}}',
                  int(seg.pixel_array.astype(bool).sum()) == int((labels > 0).sum()), int((labels > 0).sum()) > 0)
            """);
        Assert.Equal("SEG True True True True", check.StdOut.Trim());
    }

    public static TheoryData<string[], int, string> Failures => new()
    {
        { ["--dicomweb", "URL", "--study", "1.2.3.999"], 3, "no study with Study Instance UID 1.2.3.999" },
        { ["--dicomweb", "URL", "--study", "TWO"], 2, "has 2 image series; choose one by its Series Instance UID:\n  1.2.826.0.1.3680043.8.498.7002.1  CT  #1  \"arterial\"  3 instance(s)" },
        { ["--dicomweb", "URL", "--study", "CT", "--series", "1.2.3"], 3, "has no series 1.2.3" },
        { ["--dicomweb", "http://127.0.0.1:9/dicom-web", "--study", "1.2.3"], 3, "cannot reach http://127.0.0.1:9/dicom-web/studies/1.2.3/series" },
        { ["--dicomweb", "URL"], 2, "--dicomweb needs --study UID" },
        { ["--dicomweb", "URL", "--study", "1.2.x"], 2, "--study '1.2.x' is not a DICOM UID" },
        { ["--dicomweb", "nowhere", "--study", "1.2.3"], 2, "DICOMweb URL 'nowhere' is not an http(s) URL" },
        { ["--dicomweb", "URL", "--image", "x.nii.gz", "--study", "1.2.3"], 2, "give the input: --image PATH, or --dicomweb URL --study UID" },
        { ["--image", "x.nii.gz", "--store"], 2, "--study, --series and --store go with --dicomweb" },
        { ["--dicomweb", "URL", "--study", "CT", "--store"], 2, "--store sends the run's DICOM objects back to the PACS: add --out-format with dicom-seg and/or rtstruct" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Bad_pacs_input_is_a_one_line_error_with_its_exit_code(string[] args, int exitCode, string message)
    {
        using var dir = new TempDir();
        string model = TinyModel(dir);
        var resolved = args.Select(a => a switch { "URL" => pacs.Orthanc.DicomWebUrl, "TWO" => pacs.TwoSeriesStudy, "CT" => pacs.CtStudy, _ => a });
        var run = Support.Cli.Run(["segment", .. resolved, "--model", model, "--box", "14,10,30,24", "--out", dir.File("out")]);
        Assert.True(run.ExitCode == exitCode, run.ToString());
        Assert.Contains(message, run.StdErr);
        Assert.DoesNotContain("   at ", run.StdErr);
    }

    [Fact]
    public void Basic_credentials_for_the_cli_come_from_the_environment()
    {
        using var secured = new OrthancServer(new Dictionary<string, string> { ["radiology"] = "s3cret" });
        using var dir = new TempDir();
        string[] args = ["segment", "--dicomweb", secured.DicomWebUrl, "--study", pacs.CtStudy, "--model", "unused.safetensors", "--box", "1,1,5,5", "--out", dir.File("out")];
        var refused = Support.Cli.Run(args);
        Assert.True(refused.ExitCode == 3, refused.ToString());
        Assert.Contains("answered HTTP 401", refused.StdErr);
        Assert.Contains(DicomWebCredentials.UserVariable, refused.StdErr);
        // With credentials the query passes: the (empty) PACS has no such study.
        var empty = Support.Cli.RunWith(new Dictionary<string, string?>
        {
            [DicomWebCredentials.UserVariable] = "radiology", [DicomWebCredentials.PasswordVariable] = "s3cret",
        }, args);
        Assert.True(empty.ExitCode == 3, empty.ToString());
        Assert.Contains($"no study with Study Instance UID {pacs.CtStudy}", empty.StdErr);
    }
}
