#!/usr/bin/env python3
"""Writes the expected CLIP tokenizations our ClipTokenizer tests compare against.

Usage: make_clip_token_fixture.py CLIP_CHECKOUT OUT.json

CLIP_CHECKOUT is a checkout of github.com/openai/CLIP (its clip/simple_tokenizer.py and
clip/bpe_simple_vocab_16e6.txt.gz are used as they are; nothing of it is copied here). Needs
python3-regex. ftfy is not packaged for Debian 12: when it is missing, `ftfy.fix_text` is
replaced by NFC normalisation only, and the texts below avoid everything else ftfy would change
(mojibake, curly quotes, ligatures, full-width forms, decomposed accents), so the ids are what
CLIP itself gives.
"""
import json
import sys
import types
import unicodedata

clip_dir, out_path = sys.argv[1], sys.argv[2]
try:
    import ftfy  # noqa: F401
    ftfy_note = "ftfy " + ftfy.__version__
except ImportError:
    sys.modules["ftfy"] = types.SimpleNamespace(fix_text=lambda t: unicodedata.normalize("NFC", t))
    ftfy_note = "ftfy absent: fix_text = NFC"
sys.path.insert(0, clip_dir + "/clip")
import simple_tokenizer  # noqa: E402

tok = simple_tokenizer.SimpleTokenizer(clip_dir + "/clip/bpe_simple_vocab_16e6.txt.gz")
sot, eot = tok.encoder["<|startoftext|>"], tok.encoder["<|endoftext|>"]

texts = [
    "Hello World!",
    "a photo of a cat",
    "a diagram",
    "",
    "   spaced \t out\n\nlines  ",
    "it's, they're, we'll, I'd, you've, I'm, don't",
    "CT scan, HU -125 to 275 (window); slice 42/181.",
    "The liver occupies the right upper quadrant; the spleen lies posterolaterally.",
    "T1-weighted MRI: hyperintense putamen, hypointense pallidum (axial view).",
    "Left kidney: bean-shaped, 11.5 cm, homogeneous cortex.",
    "a &amp; b &lt;tag&gt; &amp;amp;",
    "café naïve Größe Ångström",
    "肝脏 和 脾脏",
    "heart \U0001FAC0 and lungs \U0001FAC1",
    "<|startoftext|>inside<|endoftext|>",
    "ALL CAPS and MiXeD case",
    "x" * 40,
    "pneumoperitoneum, cholangiocarcinoma, retroperitoneal lymphadenopathy",
]
cases = [{"text": t, "ids": [sot] + tok.encode(t) + [eot]} for t in texts]
long_text = " ".join(["the pancreas lies behind the stomach"] * 20)
long_ids = [sot] + tok.encode(long_text) + [eot]
truncated = long_ids[:77]
truncated[-1] = eot

doc = {
        "source": "openai/CLIP clip/simple_tokenizer.py (" + ftfy_note + ")",
        "sot": sot, "eot": eot, "vocab_size": len(tok.encoder),
        "cases": cases,
        "long": {"text": long_text, "ids": long_ids, "truncated_77": truncated},
        "decode": {"ids": cases[6]["ids"][1:-1], "text": tok.decode(cases[6]["ids"][1:-1])},
}
# One case per line keeps the file readable and its diffs small.
lines = [json.dumps(c, ensure_ascii=False) for c in cases]
body = json.dumps({k: v for k, v in doc.items() if k != "cases"}, ensure_ascii=False, indent=1)
with open(out_path, "w", encoding="utf-8") as f:
    f.write('{\n "cases": [\n  ' + ",\n  ".join(lines) + "\n ],\n" + body[2:] + "\n")
print(f"{len(cases)} cases, vocab {len(tok.encoder)}, long text {len(long_ids)} tokens -> {out_path}")
