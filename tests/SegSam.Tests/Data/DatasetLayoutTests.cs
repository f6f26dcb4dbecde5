using System.CommandLine;
using SegSam.Cli;
using SegSam.Cli.Commands;
using SegSam.Data;
using SegSam.Data.Datasets;
using SegSam.Tests.Support;

namespace SegSam.Tests.Data;

/// <summary>
/// Tiny datasets in each layout, written once by nibabel, numpy, PIL and h5py. In every volume
/// numpy's arr[x, y, z] is shown at row y, column x of axial slice z (the files' affines point
/// x and y to the left and back, which the RAS+ reorientation and the radiological view undo).
/// </summary>
public sealed class LayoutFiles : IDisposable
{
    readonly TempDir dir = new();

    public LayoutFiles() => Python.Run("""
        import sys, os, json, numpy as np, nibabel as nib, h5py
        from PIL import Image
        root = sys.argv[1]
        def p(*parts):
            path = os.path.join(root, *parts)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            return path
        lps = np.diag([-1.5, -1.5, 2.0, 1.0])

        # nnU-Net v2: liver (1) in z 1..4, tumor (3) in z 2..3; CT at 40 HU, liver 240 HU.
        for i in range(3):
            img = np.full((16, 16, 6), 40, np.int16); img[4:10, 4:10, 1:5] = 240
            lab = np.zeros((16, 16, 6), np.uint8); lab[4:10, 4:10, 1:5] = 1; lab[11:15, 11:15, 2:4] = 3
            nib.save(nib.Nifti1Image(img, lps), p('nnunet', 'imagesTr', f'case_{i:03d}_0000.nii.gz'))
            nib.save(nib.Nifti1Image(lab, lps), p('nnunet', 'labelsTr', f'case_{i:03d}.nii.gz'))
        json.dump({'name': 'Dataset001_Tiny', 'channel_names': {'0': 'CT'}, 'labels': {'background': 0, 'liver': 1, 'tumor': 3},
                   'numTraining': 3, 'file_ending': '.nii.gz'}, open(p('nnunet', 'dataset.json'), 'w'))

        # nnU-Net v1 / Medical Segmentation Decathlon: 4D images listed without _0000.
        training = []
        for i in range(2):
            img = np.full((16, 16, 4, 2), 300.0, np.float32); img[..., 0] += np.arange(16)[:, None, None]
            lab = np.zeros((16, 16, 4), np.uint8); lab[2:12, 2:12, :] = 1
            nib.save(nib.Nifti1Image(img, lps), p('msd', 'imagesTr', f'la_{i:03d}.nii.gz'))
            nib.save(nib.Nifti1Image(lab, lps), p('msd', 'labelsTr', f'la_{i:03d}.nii.gz'))
            training.append({'image': f'./imagesTr/la_{i:03d}.nii.gz', 'label': f'./labelsTr/la_{i:03d}.nii.gz'})
        json.dump({'name': 'Task02_Tiny', 'modality': {'0': 'MRI'}, 'labels': {'0': 'background', '1': 'left atrium'},
                   'training': training, 'test': []}, open(p('msd', 'dataset.json'), 'w'))

        # nnU-Net with a label value its table lacks.
        nib.save(nib.Nifti1Image(np.zeros((8, 8, 2), np.int16), lps), p('nnunet_bad', 'imagesTr', 'x_0000.nii.gz'))
        nib.save(nib.Nifti1Image(np.full((8, 8, 2), 2, np.uint8), lps), p('nnunet_bad', 'labelsTr', 'x.nii.gz'))
        json.dump({'channel_names': {'0': 'CT'}, 'labels': {'background': 0, 'liver': 1}, 'file_ending': '.nii.gz'},
                  open(p('nnunet_bad', 'dataset.json'), 'w'))

        # Synapse raw: slice k holds BTCV label VALUES[k] in a block of 275 HU on 75 HU, a -1000 HU corner.
        values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13]
        for case in [1, 5, 8, 21]:
            img = np.full((16, 16, 12), 75, np.int16); img[0:4, 0:4, :] = -1000; img[6:12, 6:12, :] = 275
            lab = np.zeros((16, 16, 12), np.uint8)
            for k, v in enumerate(values): lab[6:12, 6:12, k] = v
            aff = np.diag([-0.8, -0.8, 2.5, 1.0])
            nib.save(nib.Nifti1Image(img, aff), p('synapse', 'img', f'img{case:04d}.nii.gz'))
            nib.save(nib.Nifti1Image(lab, aff), p('synapse', 'label', f'label{case:04d}.nii.gz'))

        # TransUNet: two labelled training slices and an empty one; one test volume.
        for name, value in [('case0005_slice000', 1), ('case0005_slice001', 0), ('case0006_slice000', 8)]:
            lab = np.zeros((16, 16), np.float32); lab[3:9, 3:9] = value
            np.savez(p('transunet', 'train_npz', name + '.npz'), image=np.full((16, 16), 0.5, np.float32), label=lab)
        lab = np.zeros((3, 16, 16), np.float32); lab[1, 2:8, 2:8] = 2; lab[2, 2:8, 2:8] = 8
        with h5py.File(p('transunet', 'test_vol_h5', 'case0001.npy.h5'), 'w') as f:
            f['image'] = np.full((3, 16, 16), 0.25, np.float32); f['label'] = lab

        # SA-Med2D: two cases of two slices; class 0 has two instances, class 3 one.
        index = {}
        for case in [1, 2]:
            for s in [40, 41]:
                stem = f'ct_00--AbdomenCT1K--Case_{case:05d}--x_{s:04d}'
                Image.fromarray(np.full((16, 16), 100, np.uint8)).save(p('samed2d', 'images', stem + '.png'))
                masks = []
                for cls, inst, rows, cols in [(0, 0, (2, 6), (2, 6)), (0, 1, (10, 14), (2, 6)), (3, 0, (2, 6), (10, 14))]:
                    m = np.zeros((16, 16), np.uint8); m[rows[0]:rows[1], cols[0]:cols[1]] = 255
                    name = f'{stem}--{cls:04d}_{inst:03d}.png'
                    Image.fromarray(m).save(p('samed2d', 'masks', name))
                    masks.append('masks/' + name)
                index['images/' + stem + '.png'] = masks
        json.dump(index, open(p('samed2d', 'SAMed2D_v1.json'), 'w'))
        json.dump({'liver': 0, 'kidney': 3, 'spleen': 5}, open(p('samed2d', 'SAMed2D_v1_class_mapping_id.json'), 'w'))

        # MedSAM: a CT volume (labels 1 and 4) and a colour 2D MR picture (label 2).
        gts = np.zeros((4, 16, 16), np.uint8); gts[1, 4:10, 4:10] = 1; gts[2, 4:10, 4:10] = 4
        np.savez_compressed(p('medsam', 'CT', 'CT_Abd_case1.npz'), imgs=np.full((4, 16, 16), 50, np.uint8), gts=gts,
                            spacing=np.array([0.5, 0.5, 2.0]))
        rgb = np.zeros((16, 16, 3), np.uint8); rgb[..., 0] = 200; rgb[..., 1] = 100; rgb[..., 2] = 50
        gts = np.zeros((16, 16), np.uint8); gts[4:10, 4:10] = 2
        np.savez_compressed(p('medsam', 'MR', 'MR_Brain_case2.npz'), imgs=rgb, gts=gts)
        open(p('medsam_names.txt'), 'w').write('1 liver\n4 kidney\n')

        # A generic pair (MR-like values) on a 21-slice grid, labels 5, 7, 10 in every slice.
        img = np.full((16, 16, 21), 100.0, np.float32); img[:8] += 50
        lab = np.zeros((16, 16, 21), np.int16); lab[2:7, 2:7] = 5; lab[9:14, 2:7] = 7; lab[2:7, 9:14] = 10
        nib.save(nib.Nifti1Image(img, lps), p('pair', 'brain.nii.gz'))
        nib.save(nib.Nifti1Image(lab, lps), p('pair', 'labels.nii.gz'))
        nib.save(nib.Nifti1Image(lab[:, :, :20], lps), p('pair', 'labels_cut.nii.gz'))
        open(p('pair', 'names.txt'), 'w').write('# value name code\n5 Caudate_L 7001\n10 Putamen_R 7002\n')
        open(p('pair', 'plain.txt'), 'w').write(''.join(f'region {i}\n' for i in range(1, 11)))
        """, [dir.Path]);

    public string Path(params string[] parts) => System.IO.Path.Combine([dir.Path, .. parts]);

    public void Dispose() => dir.Dispose();
}

public sealed class DatasetLayoutTests(LayoutFiles files) : IClassFixture<LayoutFiles>
{
    static string Case(LabelledSlice s) => s.Id.Split("-axial-")[0].Split("-coronal-")[0].Split("-sagittal-")[0];

    static int[] Codes(LabelledSlice s) => s.Labels.Where(v => v > 0).Distinct().Order().ToArray();

    static void AssertCasesDisjoint(DatasetSplit split)
    {
        var train = split.Train.Slices.Select(Case).ToHashSet();
        Assert.All(split.Test.Slices, s => Assert.DoesNotContain(Case(s), train));
    }

    [Fact]
    public void NnUNetV2HoldsOutWholeCasesAndRemapsLabels()
    {
        var split = DatasetLayouts.Prepare("nnunet", files.Path("nnunet"), new LayoutOptions { Size = 32 });
        Assert.Equal(["liver", "tumor"], split.Train.Categories);
        Assert.Equal("CT", split.Train.Modality);
        Assert.Equal("Dataset001_Tiny-test", split.Test.Name);
        // Three cases: the middle one is held out; axial slices z = 1..4 carry labels.
        Assert.Equal(["case_001"], split.Test.Slices.Select(Case).Distinct());
        Assert.Equal(["case_000", "case_002"], split.Train.Slices.Select(Case).Distinct().Order());
        Assert.Equal(8, split.Train.Slices.Count);
        Assert.Equal(4, split.Test.Slices.Count);
        AssertCasesDisjoint(split);
        // Tumor's value 3 became code 2.
        Assert.Equal([1, 2], Codes(split.Test.Slices.Single(s => s.Id == "case_001-axial-002")));
        Assert.Equal([1], Codes(split.Test.Slices.Single(s => s.Id == "case_001-axial-001")));
        // Abdomen window L40/W400: 40 HU → 127.5, 240 HU → 255.
        var slice = split.Test.Slices[0];
        Assert.Equal(127.5, slice.Image[0], 3);
        Assert.Equal(255, slice.Image.Max(), 3);
        // 16 voxels of 1.5 mm over 32 pixels.
        Assert.Equal([0.75, 0.75], split.Test.PixelSpacing);

        var bone = DatasetLayouts.Prepare("nnunet", files.Path("nnunet"), new LayoutOptions { Size = 32, Window = (400, 1800) });
        Assert.Equal((40 + 500) / 1800.0 * 255, bone.Test.Slices[0].Image[0], 3);
    }

    [Fact]
    public void NnUNetSlicesAlongAllThreeAxesOnRequest()
    {
        var split = DatasetLayouts.Prepare("nnunet", files.Path("nnunet"), new LayoutOptions { Size = 32, Axes = [0, 1, 2] });
        // Labelled planes per case: x 4..9 and 11..14 (sagittal), the same in y (coronal), z 1..4 (axial).
        Assert.Equal(24, split.Test.Slices.Count);
        Assert.Equal(10, split.Test.Slices.Count(s => s.Id.Contains("-sagittal-")));
        Assert.Equal(10, split.Test.Slices.Count(s => s.Id.Contains("-coronal-")));
        AssertCasesDisjoint(split);
    }

    [Fact]
    public void NnUNetV1ReadsTheTrainingListAndFirstChannel()
    {
        var split = DatasetLayouts.Prepare("nnunet", files.Path("msd"), new LayoutOptions { Size = 16 });
        Assert.Equal(["left atrium"], split.Train.Categories);
        Assert.Equal("MR", split.Train.Modality);
        Assert.Equal(["la_001"], split.Test.Slices.Select(Case).Distinct());
        Assert.Equal(4, split.Train.Slices.Count);
        // Channel 0 varies along x (columns), so the percentile clip spreads it over 0..255.
        var row = split.Train.Slices[0].Image.Take(16).ToArray();
        Assert.Equal(0, row.Min(), 3);
        Assert.Equal(255, row.Max(), 3);

        var e = Assert.Throws<InvalidDataException>(() => DatasetLayouts.Prepare("nnunet", files.Path("nnunet_bad"), new LayoutOptions()));
        Assert.Contains("label value 2", e.Message);
        Assert.Contains("x.nii.gz", e.Message);
    }

    [Fact]
    public void SynapseRawUsesTheStandardSplitOrganRemapAndTransUNetWindow()
    {
        var split = DatasetLayouts.Prepare("synapse", files.Path("synapse"), new LayoutOptions { Size = 16 });
        Assert.Equal(SynapseDataset.Organs, split.Train.Categories);
        Assert.Equal(["case0001", "case0008"], split.Test.Slices.Select(Case).Distinct().Order());
        Assert.Equal(["case0005", "case0021"], split.Train.Slices.Select(Case).Distinct().Order());
        // Slice k holds BTCV value [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13][k]: 6→5, 7→6, 8→7, 11→8, and 5, 9, 12, 13 are dropped.
        int?[] expected = [1, 2, 3, 4, null, 5, 6, 7, null, 8, null, null];
        foreach (var set in new[] { split.Train, split.Test })
        {
            Assert.Equal(16, set.Slices.Count);
            foreach (var s in set.Slices) Assert.Equal([expected[int.Parse(s.Id[^3..])]!.Value], Codes(s));
        }
        // HU clipped to [-125, 275] and scaled: -1000 → 0 (top-left corner), 75 → 127.5, 275 → 255.
        var image = split.Test.Slices[0].Image;
        Assert.Equal(0, image[0]);
        Assert.Equal(127.5, image[15], 3);
        Assert.Equal(255, image[8 * 16 + 8], 3);
        Assert.Equal([0.8, 0.8], split.Test.PixelSpacing.Select(v => Math.Round(v, 6)));
    }

    [Fact]
    public void TransUNetLayoutScalesImagesAndKeepsItsCodes()
    {
        var split = DatasetLayouts.Prepare("transunet", files.Path("transunet"), new LayoutOptions { Size = 16 });
        Assert.Equal(["case0005_slice000", "case0006_slice000"], split.Train.Slices.Select(s => s.Id));
        Assert.Equal(["case0001-axial-001", "case0001-axial-002"], split.Test.Slices.Select(s => s.Id));
        Assert.Equal([1], Codes(split.Train.Slices[0]));
        Assert.Equal([8], Codes(split.Train.Slices[1]));
        Assert.Equal([8], Codes(split.Test.Slices[1]));
        Assert.All(split.Train.Slices[0].Image, v => Assert.Equal(127.5, v, 3));
        Assert.All(split.Test.Slices[0].Image, v => Assert.Equal(63.75, v, 3));
        Assert.Throws<ArgumentException>(() => DatasetLayouts.Prepare("transunet", files.Path("transunet"), new LayoutOptions { Window = (40, 400) }));
    }

    [Fact]
    public void SaMed2DMergesInstancesAndSplitsByCase()
    {
        var split = DatasetLayouts.Prepare("samed2d", files.Path("samed2d"), new LayoutOptions { Size = 16 });
        Check(split);

        // The class mapping may also run id → name.
        using var copy = new TempDir();
        foreach (var file in Directory.EnumerateFiles(files.Path("samed2d"), "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(copy.Path, Path.GetRelativePath(files.Path("samed2d"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        File.WriteAllText(copy.File(SaMed2DDataset.ClassFile), """{"0000": "liver", "0003": "kidney"}""");
        Check(DatasetLayouts.Prepare("samed2d", copy.Path, new LayoutOptions { Size = 16 }));

        static void Check(DatasetSplit split)
        {
            Assert.Equal(["liver", "kidney"], split.Train.Categories);
            Assert.Equal("CT", split.Train.Modality);
            Assert.All(split.Test.Slices, s => Assert.Contains("--Case_00002--", s.Id));
            Assert.All(split.Train.Slices, s => Assert.Contains("--Case_00001--", s.Id));
            Assert.Equal(2, split.Train.Slices.Count);
            var s = split.Test.Slices[0];
            Assert.Equal(1, s.Labels[3 * 16 + 3]);   // class 0, instance 000
            Assert.Equal(1, s.Labels[11 * 16 + 3]);  // class 0, instance 001
            Assert.Equal(2, s.Labels[3 * 16 + 11]);  // class 3
            Assert.Equal(0, s.Labels[11 * 16 + 11]);
            Assert.All(s.Image, v => Assert.Equal(100, v, 3));
        }
    }

    [Fact]
    public void MedSamNpzNumbersItsLabelsOrTakesANamesFile()
    {
        var split = DatasetLayouts.Prepare("medsam", files.Path("medsam"), new LayoutOptions { Size = 16 });
        Assert.Equal(["label-1", "label-2", "label-4"], split.Train.Categories);
        Assert.Equal("CT", split.Train.Modality);
        Assert.Equal("MR", split.Test.Modality);
        Assert.Equal(["CT_Abd_case1-axial-001", "CT_Abd_case1-axial-002"], split.Train.Slices.Select(s => s.Id));
        Assert.Equal(new[] { new[] { 1 }, [3] }, split.Train.Slices.Select(Codes));
        Assert.Equal([2], Codes(split.Test.Slices.Single()));
        Assert.Equal(0.299 * 200 + 0.587 * 100 + 0.114 * 50, split.Test.Slices[0].Image[0], 3);
        Assert.All(split.Train.Slices[0].Image, v => Assert.Equal(50, v, 3));
        Assert.Equal([0.5, 0.5], split.Train.PixelSpacing);

        var named = DatasetLayouts.Prepare("medsam", files.Path("medsam"), new LayoutOptions { Size = 16, Names = files.Path("medsam_names.txt") });
        Assert.Equal(["liver", "kidney"], named.Train.Categories);
        Assert.Equal(new[] { new[] { 1 }, [2] }, named.Train.Slices.Select(Codes));
        Assert.Empty(named.Test.Slices); // its only label, 2, is not named
    }

    [Fact]
    public void GenericPairSplitsSlicesLikeTheAtlasAndReadsNames()
    {
        var options = new LayoutOptions { Size = 16, Names = files.Path("pair", "names.txt") };
        var split = DatasetLayouts.Prepare("pair", null, options, files.Path("pair", "brain.nii.gz"), files.Path("pair", "labels.nii.gz"));
        Assert.Equal(["Caudate_L", "Putamen_R"], split.Train.Categories);
        Assert.Equal("MR", split.Train.Modality);
        Assert.Equal("brain-train", split.Train.Name);
        Assert.Equal([0, 10, 20], split.Test.Slices.Select(s => int.Parse(s.Id[^3..])));
        Assert.Equal([3, 4, 5, 6, 7, 13, 14, 15, 16, 17], split.Train.Slices.Select(s => int.Parse(s.Id[^3..])));
        Assert.All(split.Test.Slices, s => Assert.Equal([1, 2], Codes(s))); // 7 is unnamed: background

        var plain = DatasetLayouts.Prepare("pair", null, options with { Names = files.Path("pair", "plain.txt") },
            files.Path("pair", "brain.nii.gz"), files.Path("pair", "labels.nii.gz"));
        Assert.Equal(10, plain.Train.Categories.Length);
        Assert.Equal("region 5", plain.Train.Categories[4]);
        Assert.Equal([5, 7, 10], Codes(plain.Test.Slices[0]));

        var numbered = DatasetLayouts.Prepare("pair", null, new LayoutOptions { Size = 16 },
            files.Path("synapse", "img", "img0001.nii.gz"), files.Path("synapse", "label", "label0001.nii.gz"));
        Assert.Equal("CT", numbered.Train.Modality);
        Assert.Equal(12, numbered.Train.Categories.Length);
        Assert.Equal("label-11", numbered.Train.Categories[9]);

        var e = Assert.Throws<InvalidDataException>(() => DatasetLayouts.Prepare("pair", null, new LayoutOptions(),
            files.Path("pair", "brain.nii.gz"), files.Path("pair", "labels_cut.nii.gz")));
        Assert.Contains("grids differ", e.Message);
        Assert.Contains("16×16×21", e.Message);
    }

    [Fact]
    public void CaseSplitHoldsOutAboutOneCaseInFive()
    {
        Assert.Empty(CaseSplit.TestCases(["a"]));
        Assert.Equal(["b"], CaseSplit.TestCases(["c", "a", "b"]));
        var ten = CaseSplit.TestCases(Enumerable.Range(0, 10).Select(i => $"case{i}"));
        Assert.Equal(["case2", "case7"], ten.Order());
    }

    [Fact]
    public void BadLayoutRequestsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => DatasetLayouts.Prepare("kits", files.Path("nnunet"), new LayoutOptions()));
        Assert.Throws<ArgumentException>(() => DatasetLayouts.Prepare("nnunet", files.Path("nnunet"), new LayoutOptions { Names = "x.txt" }));
        Assert.Throws<ArgumentException>(() => DatasetLayouts.Prepare("nnunet", files.Path("nnunet"), new LayoutOptions { Axes = [3] }));
        Assert.Throws<DirectoryNotFoundException>(() => DatasetLayouts.Prepare("synapse", files.Path("none"), new LayoutOptions()));
        Assert.Throws<FileNotFoundException>(() => DatasetLayouts.Prepare("nnunet", files.Path("synapse"), new LayoutOptions()));
    }

    // ---- segsam prepare ----

    static int Prepare(params string[] args)
    {
        var parse = PrepareCommand.Create().Parse(args);
        Assert.Empty(parse.Errors);
        return parse.Invoke(new InvocationConfiguration { Output = new StringWriter(), Error = new StringWriter(), EnableDefaultExceptionHandler = false });
    }

    [Fact]
    public void PrepareCommandWritesTrainAndTestSets()
    {
        using var output = new TempDir();
        Assert.Equal(ExitCodes.Success, Prepare("--dataset", "nnunet", "--input", files.Path("nnunet"), "--size", "32", "--window", "60,300",
            "--axes", "axial,coronal", "--out", output.Path));
        var train = SliceDataset.Load(Path.Combine(output.Path, "train"));
        var test = SliceDataset.Load(Path.Combine(output.Path, "test"));
        Assert.Equal(["liver", "tumor"], train.Categories);
        Assert.Equal(28, train.Slices.Count); // 2 cases × (4 axial + 10 coronal)
        Assert.Equal(14, test.Slices.Count);

        Assert.Equal(ExitCodes.Success, Prepare("--dataset", "pair", "--image", files.Path("pair", "brain.nii.gz"),
            "--labels", files.Path("pair", "labels.nii.gz"), "--names", files.Path("pair", "names.txt"), "--size", "32", "--out", output.File("pair")));
        Assert.Equal(3, SliceDataset.Load(Path.Combine(output.File("pair"), "test")).Slices.Count);
    }

    [Fact]
    public void PrepareCommandRejectsBadArguments()
    {
        string input = files.Path("nnunet");
        foreach (var args in new[]
        {
            new[] { "--dataset", "kits", "--input", input },
            ["--dataset", "nnunet"],
            ["--dataset", "pair", "--image", "a.nii"],
            ["--dataset", "nnunet", "--input", input, "--window", "wide"],
            ["--dataset", "nnunet", "--input", input, "--window", "40,-1"],
            ["--dataset", "nnunet", "--input", input, "--axes", "axial,axial"],
            ["--dataset", "nnunet", "--input", input, "--modality", "PET"],
        })
            Assert.Throws<UsageException>(() => Prepare(args));
        var e = Assert.Throws<ArgumentException>(() => Prepare("--dataset", "nnunet", "--input", input, "--names", "n.txt"));
        Assert.Equal(ExitCodes.Usage, CliApp.Report(e));
    }
}
