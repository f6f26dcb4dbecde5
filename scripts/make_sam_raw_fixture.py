#!/usr/bin/python3
"""Makes the SAM parity fixtures tests/fixtures/sam-parity/raw-up and raw-down: the reference
SamPredictor run from a raw (not yet resized) uint8 RGB image, so that the test covers the
reference's PIL resize too.

Usage: scripts/make_sam_raw_fixture.py SEGMENT_ANYTHING_CHECKOUT [OUT_PARENT]

SEGMENT_ANYTHING_CHECKOUT holds facebookresearch/segment-anything's segment_anything package
(commit dca509f); it is imported from there, never copied. From the bare mirror:
    mkdir /tmp/sam-ref && git --git-dir=/work/.mirror/facebookresearch+segment-anything/repo \\
        archive dca509f segment_anything | tar -x -C /tmp/sam-ref
    apt-get install -y python3-torch python3-torchvision python3-pil python3-numpy   # Debian 12
    /usr/bin/python3 scripts/make_sam_raw_fixture.py /tmp/sam-ref

Debian 12's python3-torchvision 0.14 is the real torchvision, so the reference's own
ResizeLongestSide.apply_image runs unchanged: torchvision.transforms.functional.resize on
to_pil_image(image), which calls img.resize((w, h), Image.BILINEAR) of Pillow 9.4.

One tiny configuration with random weights (normal × 0.2 on every state_dict entry, seed 13) is
written into both folders (identical bytes); each folder has its own raw image:
  raw-up    45×71 (H×W), upscaled by the reference to 41×64 and padded to 64×64
  raw-down  100×67, downscaled (antialiased) to 64×43
Files as in ../shared/fixtures/sam-parity/README.md: config.json, model.pth, image.npy (the raw
original), image_resized.npy (the reference's resize of it), embedding.npy, case.json (five
prompt cases in the original frame) and caseN_masks / caseN_iou / caseN_lowres.npy (logits, no
threshold), case4_mask_input.npy (case 0's first low-res mask, fed back).
"""
import json
import os
import sys
from functools import partial

import numpy as np
import torch

SEED = 13

ENCODER = dict(img_size=64, patch_size=8, in_chans=3, embed_dim=32, depth=2, num_heads=2, mlp_ratio=4.0,
               out_chans=32, qkv_bias=True, use_abs_pos=True, use_rel_pos=True, window_size=4,
               global_attn_indexes=[1], layer_norm_eps=1e-6)
PROMPT = dict(embed_dim=32, mask_in_chans=16)
DECODER = dict(num_multimask_outputs=3, transformer_depth=2, transformer_mlp_dim=64, transformer_num_heads=2,
               iou_head_depth=3, iou_head_hidden_dim=32)
PIXEL_MEAN = [123.675, 116.28, 103.53]
PIXEL_STD = [58.395, 57.12, 57.375]

IMAGES = {"raw-up": (45, 71, 101), "raw-down": (100, 67, 102)}  # H, W, image seed


def build():
    from segment_anything.modeling import ImageEncoderViT, MaskDecoder, PromptEncoder, Sam, TwoWayTransformer
    e = {k: v for k, v in ENCODER.items() if k != "layer_norm_eps"}
    grid = ENCODER["img_size"] // ENCODER["patch_size"]
    sam = Sam(
        image_encoder=ImageEncoderViT(norm_layer=partial(torch.nn.LayerNorm, eps=ENCODER["layer_norm_eps"]), **e),
        prompt_encoder=PromptEncoder(embed_dim=PROMPT["embed_dim"], image_embedding_size=(grid, grid),
                                     input_image_size=(ENCODER["img_size"], ENCODER["img_size"]),
                                     mask_in_chans=PROMPT["mask_in_chans"]),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=DECODER["num_multimask_outputs"],
            transformer=TwoWayTransformer(depth=DECODER["transformer_depth"], embedding_dim=PROMPT["embed_dim"],
                                          mlp_dim=DECODER["transformer_mlp_dim"],
                                          num_heads=DECODER["transformer_num_heads"]),
            transformer_dim=PROMPT["embed_dim"], iou_head_depth=DECODER["iou_head_depth"],
            iou_head_hidden_dim=DECODER["iou_head_hidden_dim"]),
        pixel_mean=PIXEL_MEAN, pixel_std=PIXEL_STD)
    generator = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        for tensor in sam.state_dict().values():
            tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.2)
    return sam.eval()


def prompt_cases(h, w):
    # Original-frame coordinates, x first: a point, a point pair, a box, a box with a negative
    # point, and the first point again with case 0's first low-res mask fed back.
    p0 = [0.15 * w, 0.7 * h]
    box = [0.2 * w, 0.25 * h, 0.7 * w, 0.8 * h]
    return [
        dict(points=[p0], labels=[1], box=None, multimask=True, mask_input=None),
        dict(points=[p0, [0.8 * w, 0.1 * h]], labels=[1, 0], box=None, multimask=False, mask_input=None),
        dict(points=None, labels=None, box=box, multimask=True, mask_input=None),
        dict(points=[[0.45 * w, 0.5 * h]], labels=[0], box=box, multimask=False, mask_input=None),
        dict(points=[p0], labels=[1], box=None, multimask=False, mask_input="case4_mask_input.npy"),
    ]


def config_json():
    return dict(image_encoder=ENCODER, prompt_encoder=PROMPT, mask_decoder=DECODER, pixel_mean=PIXEL_MEAN,
                pixel_std=PIXEL_STD)


def main():
    sys.path.insert(0, sys.argv[1])
    from segment_anything import SamPredictor
    import torchvision
    import PIL

    parent = sys.argv[2] if len(sys.argv) > 2 else "tests/fixtures/sam-parity"
    torch.set_grad_enabled(False)
    sam = build()
    for name, (h, w, image_seed) in IMAGES.items():
        out = os.path.join(parent, name)
        os.makedirs(out, exist_ok=True)
        image = np.random.default_rng(image_seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
        predictor = SamPredictor(sam)
        predictor.set_image(image)
        np.save(f"{out}/image.npy", image)
        np.save(f"{out}/image_resized.npy", predictor.transform.apply_image(image))
        np.save(f"{out}/embedding.npy", predictor.get_image_embedding().numpy())
        cases = prompt_cases(h, w)
        # Coordinates go through float32 in case.json readers; store the float32 values used.
        for c in cases:
            if c["points"] is not None:
                c["points"] = [[float(np.float32(v)) for v in p] for p in c["points"]]
            if c["box"] is not None:
                c["box"] = [float(np.float32(v)) for v in c["box"]]
        for i, c in enumerate(cases):
            mask_input = None
            if c["mask_input"] is not None:
                mask_input = np.load(f"{out}/case0_lowres.npy")[0, :1]
                np.save(f"{out}/{c['mask_input']}", mask_input[None])
            masks, iou, lowres = predictor.predict(
                point_coords=None if c["points"] is None else np.array(c["points"], dtype=np.float32),
                point_labels=None if c["labels"] is None else np.array(c["labels"]),
                box=None if c["box"] is None else np.array(c["box"], dtype=np.float32),
                mask_input=mask_input, multimask_output=c["multimask"], return_logits=True)
            np.save(f"{out}/case{i}_masks.npy", masks[None].astype(np.float32))
            np.save(f"{out}/case{i}_iou.npy", iou[None].astype(np.float32))
            np.save(f"{out}/case{i}_lowres.npy", lowres[None].astype(np.float32))
        meta = dict(torch=torch.__version__, torchvision=torchvision.__version__, pillow=PIL.__version__,
                    segment_anything="dca509f", seed=SEED, image_seed=image_seed)
        with open(f"{out}/case.json", "w") as f:
            json.dump(dict(original_size=[h, w], reference=meta, cases=cases), f, indent=1)
        with open(f"{out}/config.json", "w") as f:
            json.dump(config_json(), f, indent=1)
        torch.save(sam.state_dict(), f"{out}/model.pth")
        print(f"{out}: {h}×{w} → {predictor.input_size[0]}×{predictor.input_size[1]}")


if __name__ == "__main__":
    main()
