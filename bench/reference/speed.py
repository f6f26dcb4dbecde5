#!/usr/bin/python3
"""SegSam against the reference PyTorch SAM, side by side, in one run.

Both sides load the same full-size ViT-B checkpoint (the public state-dict format, random
weights: only time, memory and agreement are measured) and segment the same real MRI slice
from the same box, starting from the raw image (each resizes it itself). Prints a Markdown
table (README's speed table) and writes the figures as JSON.

Usage (Debian's python3 with python3-torch, -torchvision, -pil, -nibabel):
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/reference/speed.py \
      --reference /path/to/segment-anything [--work /tmp/segsam-speed] [--threads 2]
where --reference is a checkout of facebookresearch/segment-anything (commit dca509f).
OPENBLAS_CORETYPE is unset so that OpenBLAS picks its own kernels for this CPU.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

import nibabel
import numpy as np
from PIL import Image

parser = argparse.ArgumentParser()
parser.add_argument("--reference", required=True, help="checkout of facebookresearch/segment-anything")
parser.add_argument("--work", default="/tmp/segsam-speed")
parser.add_argument("--threads", type=int, default=os.cpu_count())
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--image", default="/usr/share/mricron/templates/ch2.nii.gz")
parser.add_argument("--slice", type=int, default=80, help="axial slice of --image")
parser.add_argument("--box", default="60,70,120,150", help="x0,y0,x1,y1 on the slice")
args = parser.parse_args()
repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.makedirs(args.work, exist_ok=True)
checkpoint = os.path.join(args.work, "sam_vit_b_random.pth")
picture = os.path.join(args.work, "slice.png")

import torch
sys.path.insert(0, args.reference)
from segment_anything import SamPredictor, sam_model_registry

torch.set_num_threads(args.threads)

# The checkpoint: ViT-B as the reference builds it, its own initialisation, seed 0.
if not os.path.exists(checkpoint):
    torch.manual_seed(0)
    torch.save(sam_model_registry["vit_b"]().state_dict(), checkpoint)

# The picture: an axial slice of the real MRI at its raw size (181×217 for ch2), 8-bit, RGB.
volume = np.asarray(nibabel.load(args.image).dataobj, dtype=np.float32)
slice2d = np.rot90(volume[:, :, args.slice])  # rows top to bottom, as a viewer shows it
lo, hi = np.percentile(slice2d, [0.5, 99.5])
gray = np.clip((slice2d - lo) / (hi - lo) * 255 + 0.5, 0, 255).astype(np.uint8)
Image.fromarray(np.stack([gray] * 3, axis=-1)).save(picture)
image = np.asarray(Image.open(picture).convert("RGB"))
box = np.array([float(v) for v in args.box.split(",")])


def median_ms(repeats, action):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)[len(times) // 2]


# Reference side: the predictor as SAM's README uses it.
start = time.perf_counter()
sam = sam_model_registry["vit_b"](checkpoint=checkpoint)
load_ms = (time.perf_counter() - start) * 1000
predictor = SamPredictor(sam)
with torch.inference_mode():
    predictor.set_image(image)  # warm-up, as on the SegSam side
    set_image_ms = median_ms(args.repeats, lambda: predictor.set_image(image))
    masks, _, _ = predictor.predict(box=box, multimask_output=False, return_logits=True)
    predict_ms = median_ms(max(args.repeats, 10), lambda: predictor.predict(box=box, multimask_output=False, return_logits=True))
reference = {
    "implementation": "reference PyTorch", "threads": args.threads, "load_ms": load_ms, "set_image_ms": set_image_ms,
    "predict_ms": predict_ms, "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
}
reference_logits = masks[None].astype(np.float32)

# SegSam side: the bench's --sam-predict, same checkpoint, picture, box and thread count.
rows = [reference]
for precision in ["fp32", "bf16"]:
    logits_path = os.path.join(args.work, f"segsam_{precision}_logits.npy")
    command = ["dotnet", "run", "-c", "Release", "--project", os.path.join(repo, "bench", "SegSam.Bench"), "--",
               "--sam-predict", "--checkpoint", checkpoint, "--image", picture, "--box", args.box,
               "--threads", str(args.threads), "--repeats", str(args.repeats), "--precision", precision, "--out-logits", logits_path]
    run = subprocess.run(command, capture_output=True, text=True, cwd=repo)
    if run.returncode != 0:
        sys.exit(f"segsam bench failed:\n{run.stdout}\n{run.stderr}")
    row = json.loads(run.stdout.strip().splitlines()[-1])
    logits = np.load(logits_path)
    scale = np.abs(reference_logits).max()
    row["max_relative_logit_difference"] = float(np.abs(logits - reference_logits).max() / scale)
    row["mask_pixels_flipped"] = int(((logits > 0) != (reference_logits > 0)).sum())
    row["mask_pixels"] = int(reference_logits.size)
    rows.append(row)

print(f"ViT-B (random weights, {os.path.getsize(checkpoint) / 1e6:.0f} MB .pth), {image.shape[1]}×{image.shape[0]} slice of "
      f"{os.path.basename(args.image)}, box {args.box}, {args.threads} thread(s), medians of {args.repeats}\n")
print("| | load .pth | set_image (1024² encoder) | predict (1 box) | peak RSS | mask vs reference |")
print("|---|---|---|---|---|---|")
for row in rows:
    name = row["implementation"] + (f" {row['precision']}" if "precision" in row else "")
    agreement = (f"{row['max_relative_logit_difference']:.1e} rel., {row['mask_pixels_flipped']} of {row['mask_pixels']} px flip"
                 if "max_relative_logit_difference" in row else "—")
    print(f"| {name} | {row['load_ms'] / 1000:.2f} s | {row['set_image_ms'] / 1000:.2f} s | {row['predict_ms']:.0f} ms | "
          f"{row['peak_rss_bytes'] / 1e9:.2f} GB | {agreement} |")
with open(os.path.join(args.work, "speed.json"), "w") as f:
    json.dump(rows, f, indent=2)
