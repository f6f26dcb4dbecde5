// SegSam quick start: segment and label one structure on a brain MRI from a box.
// The SegSam package copies its bundled model to models/ next to this program; the MRI is Debian's
// mricron-data (sudo apt-get install mricron-data), or pass your own NIfTI/DICOM/NRRD/MHA file.
using SegSam.Checkpoints;
using SegSam.Data;
using SegSam.Inference;

string image = args.Length > 0 ? args[0] : "/usr/share/mricron/templates/ch2.nii.gz";
string modelPath = Path.Combine(AppContext.BaseDirectory, "models", "segsam-atlas.safetensors");

using var model = SegSamCheckpoint.Load(modelPath);
using var session = SegmentationSession.Open(image, model);

// A box (x0, y0, x1, y1) in the pixels of axial slice 80, around the left putamen.
var box = new SamPrompt { Box = new BoxPrompt(108, 71, 122, 112) };
var answer = session.Prompt(new SlicePrompt(SliceAxis.Axial, 80, box));

var p = answer.Prediction;
Console.WriteLine($"label:         {p.ClassName} (p = {p.ClassProbability:F2})");
Console.WriteLine($"area:          {answer.AreaMm2:F0} mm²");
Console.WriteLine($"predicted IoU: {p.Iou:F2}");

// Keep it and write labels.nii.gz (on the image's grid), segmentation.json and overlay.png.
session.Accept(answer);
session.ExportObjects("out/quickstart");
Console.WriteLine("wrote out/quickstart/");
