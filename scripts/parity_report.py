#!/usr/bin/python3
"""Runs `./segsam predict` on every case of SAM parity fixture folders and prints the largest
differences from the reference outputs (embedding: absolute; logits, IoU, low-res: relative to
the largest reference magnitude). Usage: scripts/parity_report.py [--raw] FIXTURE_DIR...
--raw feeds the original image.npy (our resize, as the reference's set_image) instead of the
reference's image_resized.npy with --pre-resized (its set_torch_image)."""
import json, os, subprocess, sys, tempfile
import numpy as np

raw = "--raw" in sys.argv[1:]
for fx in [a for a in sys.argv[1:] if a != "--raw"]:
    case = json.load(open(f"{fx}/case.json"))
    h, w = case["original_size"]
    out = tempfile.mkdtemp()
    worst = dict(embedding=0.0, masks=0.0, iou=0.0, lowres=0.0)
    flips = pixels = 0
    for i, c in enumerate(case["cases"]):
        args = ["./segsam", "predict", "--checkpoint", f"{fx}/model.pth", "--config", f"{fx}/config.json",
                *(["--image", f"{fx}/image.npy"] if raw else ["--image", f"{fx}/image_resized.npy", "--pre-resized", f"{h},{w}"]),
                "--out-logits", f"{out}/masks.npy", "--out-iou", f"{out}/iou.npy",
                "--out-lowres", f"{out}/lowres.npy", "--out-embedding", f"{out}/embedding.npy"]
        for p, label in zip(c["points"] or [], c["labels"] or []):
            args += ["--point", f"{p[0]!r},{p[1]!r},{label}"]
        if c["box"]:
            args += ["--box", ",".join(repr(v) for v in c["box"])]
        if c["mask_input"]:
            args += ["--mask-input", f"{fx}/{c['mask_input']}"]
        if c["multimask"]:
            args.append("--multimask")
        subprocess.run(args, check=True, capture_output=True)
        for k in ("masks", "iou", "lowres"):
            ref = np.load(f"{fx}/case{i}_{k}.npy")
            ours = np.load(f"{out}/{k}.npy")
            worst[k] = max(worst[k], float(np.abs(ref - ours).max() / np.abs(ref).max()))
            if k == "masks":
                flips += int(((ref > 0) != (ours > 0)).sum())
                pixels += ref.size
        ref = np.load(f"{fx}/embedding.npy")
        worst["embedding"] = max(worst["embedding"], float(np.abs(ref - np.load(f"{out}/embedding.npy")).max()))
    print(f"{os.path.basename(fx.rstrip('/'))}: {len(case['cases'])} cases; embedding max |diff| {worst['embedding']:.1e}; "
          f"max |diff| / max |ref|: masks {worst['masks']:.1e}, iou {worst['iou']:.1e}, low-res {worst['lowres']:.1e}; "
          f"{flips} of {pixels} mask pixels change sign")
