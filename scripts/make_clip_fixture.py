#!/usr/bin/python3
"""Makes the CLIP parity fixture tests/fixtures/clip-parity/tiny with OpenAI's own CLIP code.

Usage: scripts/make_clip_fixture.py MODEL_PY [OUT_DIR]

MODEL_PY is openai/CLIP's clip/model.py (a file, or a checkout holding clip/model.py); it is
imported from where it lies, never copied here. From the bare mirror:
    git --git-dir=/work/.mirror/openai+CLIP/repo show HEAD:clip/model.py > /tmp/clip_model.py
    scripts/make_clip_fixture.py /tmp/clip_model.py

It builds a tiny CLIP ViT with seeded random weights, runs encode_image, encode_text and the
forward pass (logits) on fixed inputs, and writes:
  openai.safetensors      the weights under OpenAI's state_dict names (open_clip's file naming)
  hf.safetensors          the same weights under Hugging Face transformers' CLIPModel names
                          (q/k/v split, projections transposed, position_ids buffers included)
  state_dict.pth          torch.save(state_dict) plus the three scalar entries that the state
                          dict of OpenAI's TorchScript release carries (input_resolution, ...)
  torchscript.pt          a tiny TorchScript archive (a scripted nn.Linear), to check that such
                          files are refused with a clear message
  config.json             the tiny config in SegSam's ClipConfig JSON
  images.npy, ids.npy     inputs (B×3×R×R float32 already normalised; B×ctx int64 token ids)
  image_features.npy, text_features.npy, logits_per_image.npy   reference outputs (float32)
  meta.json               torch version, seed, sha256 of model.py

Safetensors are written here by hand (Debian has no safetensors package): an 8-byte
little-endian header length, a JSON header, then the raw little-endian tensor bytes.
"""
import hashlib
import importlib.util
import json
import os
import struct
import sys

import numpy as np
import torch

SEED = 20240607

# The tiny model: embed 16, 32-pixel images in 8-pixel patches (4×4 grid, 17 tokens), a 32-wide
# 2-layer vision transformer with 2 heads, an 8-token context over a 64-token vocabulary and a
# 24-wide 2-layer text transformer with 3 heads.
CONFIG = dict(
    embed_dim=16,
    image_resolution=32,
    vision_layers=2,
    vision_width=32,
    vision_patch_size=8,
    vision_heads=2,
    context_length=8,
    vocab_size=64,
    transformer_width=24,
    transformer_heads=3,
    transformer_layers=2,
)


def load_model_module(path):
    if os.path.isdir(path):
        path = os.path.join(path, "clip", "model.py")
    spec = importlib.util.spec_from_file_location("clip_reference_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return module, path, digest


def build(m):
    c = CONFIG
    # model.py derives the vision heads as width // 64 (0 for a 32-wide tower), so the CLIP is
    # built with a 64-wide vision tower and that tower is then replaced by model.py's own
    # VisionTransformer with 2 heads. The text heads are a constructor argument.
    model = m.CLIP(c["embed_dim"], c["image_resolution"], c["vision_layers"], 64, c["vision_patch_size"],
                   c["context_length"], c["vocab_size"], c["transformer_width"], c["transformer_heads"],
                   c["transformer_layers"])
    model.visual = m.VisionTransformer(input_resolution=c["image_resolution"], patch_size=c["vision_patch_size"],
                                       width=c["vision_width"], layers=c["vision_layers"], heads=c["vision_heads"],
                                       output_dim=c["embed_dim"])
    return model.eval()


def randomise(model, g):
    """Every parameter redrawn so that no layer is an identity or a zero (LayerNorm gains near 1,
    biases and embeddings clearly non-zero, weights ~ fan_in^-1/2)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            r = torch.randn(p.shape, generator=g)
            if name == "logit_scale":
                p.copy_(torch.tensor(2.3))
            elif name.startswith("ln_") or ".ln_" in name:  # ln_1, ln_2, ln_pre, ln_post, ln_final
                p.copy_((1.0 + 0.2 * r) if name.endswith("weight") else 0.2 * r)
            elif name.endswith("bias"):
                p.copy_(0.2 * r)
            elif name.endswith("conv1.weight"):
                p.copy_(r / (p.shape[1] * p.shape[2] * p.shape[3]) ** 0.5)
            elif name in ("text_projection", "visual.proj"):
                p.copy_(r / p.shape[0] ** 0.5)
            elif "embedding" in name:
                p.copy_(0.5 * r)
            else:  # Linear and in_proj weights: out × in
                p.copy_(r / p.shape[1] ** 0.5)


def inputs(g):
    c = CONFIG
    images = torch.randn(2, 3, c["image_resolution"], c["image_resolution"], generator=g)
    ctx, vocab = c["context_length"], c["vocab_size"]
    sot, eot = vocab - 2, vocab - 1  # as CLIP's tokenizer: <|startoftext|>, <|endoftext|> (the highest id)
    ids = torch.zeros(3, ctx, dtype=torch.long)
    for row, eot_at in enumerate([7, 3, 5]):  # EOT at the last position, early, in the middle
        ids[row, 0] = sot
        ids[row, 1:eot_at] = torch.randint(1, vocab - 2, (eot_at - 1,), generator=g)
        ids[row, eot_at] = eot  # zeros (padding) after it
    return images, ids


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    dtypes = {torch.float32: "F32", torch.int64: "I64"}
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        data = t.numpy().tobytes()  # native order, little-endian (checked in main)
        header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def hf_names(sd):
    """The same weights as transformers' CLIPModel names them (our own mapping)."""
    out = {}

    def layers(src, dst):
        n = sum(1 for k in sd if k.startswith(src) and k.endswith(".attn.in_proj_weight"))
        for i in range(n):
            s, d = f"{src}{i}.", f"{dst}{i}."
            q, k, v = sd[s + "attn.in_proj_weight"].chunk(3, 0)
            qb, kb, vb = sd[s + "attn.in_proj_bias"].chunk(3, 0)
            for part, w, b in (("q", q, qb), ("k", k, kb), ("v", v, vb)):
                out[f"{d}self_attn.{part}_proj.weight"] = w
                out[f"{d}self_attn.{part}_proj.bias"] = b
            for a, bname in (("attn.out_proj", "self_attn.out_proj"), ("ln_1", "layer_norm1"), ("ln_2", "layer_norm2"),
                             ("mlp.c_fc", "mlp.fc1"), ("mlp.c_proj", "mlp.fc2")):
                for leaf in ("weight", "bias"):
                    out[f"{d}{bname}.{leaf}"] = sd[f"{s}{a}.{leaf}"]

    out["text_model.embeddings.token_embedding.weight"] = sd["token_embedding.weight"]
    out["text_model.embeddings.position_embedding.weight"] = sd["positional_embedding"]
    out["text_model.embeddings.position_ids"] = torch.arange(sd["positional_embedding"].shape[0]).unsqueeze(0)
    layers("transformer.resblocks.", "text_model.encoder.layers.")
    for leaf in ("weight", "bias"):
        out[f"text_model.final_layer_norm.{leaf}"] = sd[f"ln_final.{leaf}"]
        out[f"vision_model.pre_layrnorm.{leaf}"] = sd[f"visual.ln_pre.{leaf}"]
        out[f"vision_model.post_layernorm.{leaf}"] = sd[f"visual.ln_post.{leaf}"]
    out["text_projection.weight"] = sd["text_projection"].t()
    out["vision_model.embeddings.patch_embedding.weight"] = sd["visual.conv1.weight"]
    out["vision_model.embeddings.class_embedding"] = sd["visual.class_embedding"]
    out["vision_model.embeddings.position_embedding.weight"] = sd["visual.positional_embedding"]
    out["vision_model.embeddings.position_ids"] = torch.arange(sd["visual.positional_embedding"].shape[0]).unsqueeze(0)
    layers("visual.transformer.resblocks.", "vision_model.encoder.layers.")
    out["visual_projection.weight"] = sd["visual.proj"].t()
    out["logit_scale"] = sd["logit_scale"]
    return out


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    assert sys.byteorder == "little", "safetensors data is little-endian"
    m, model_py, digest = load_model_module(sys.argv[1])
    out_dir = sys.argv[2] if len(sys.argv) == 3 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "clip-parity", "tiny")
    os.makedirs(out_dir, exist_ok=True)

    torch.manual_seed(SEED)
    g = torch.Generator().manual_seed(SEED)
    model = build(m)
    randomise(model, g)
    images, ids = inputs(g)
    with torch.no_grad():
        image_features = model.encode_image(images)
        text_features = model.encode_text(ids)
        logits_per_image, _ = model(images, ids)

    sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    write_safetensors(os.path.join(out_dir, "openai.safetensors"), sd)
    write_safetensors(os.path.join(out_dir, "hf.safetensors"), hf_names(sd))
    pth = dict(sd)
    pth["input_resolution"] = torch.tensor(CONFIG["image_resolution"])
    pth["context_length"] = torch.tensor(CONFIG["context_length"])
    pth["vocab_size"] = torch.tensor(CONFIG["vocab_size"])
    torch.save(pth, os.path.join(out_dir, "state_dict.pth"))
    torch.manual_seed(0)
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), os.path.join(out_dir, "torchscript.pt"))

    np.save(os.path.join(out_dir, "images.npy"), images.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, "ids.npy"), ids.numpy().astype(np.int64))
    np.save(os.path.join(out_dir, "image_features.npy"), image_features.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, "text_features.npy"), text_features.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, "logits_per_image.npy"), logits_per_image.numpy().astype(np.float32))
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump({"torch": torch.__version__, "seed": SEED, "model_py_sha256": digest}, f, indent=2)
        f.write("\n")

    print(f"model.py {model_py} (sha256 {digest[:12]}), torch {torch.__version__}, "
          f"{sum(p.numel() for p in model.parameters())} parameters")
    for name, t in (("image_features", image_features), ("text_features", text_features),
                    ("logits_per_image", logits_per_image)):
        print(f"{name}: shape {tuple(t.shape)}, max |x| {t.abs().max().item():.4f}, std {t.std().item():.4f}")
    print(f"EOT positions: {ids.argmax(dim=-1).tolist()}")


if __name__ == "__main__":
    main()
