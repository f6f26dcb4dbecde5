#!/usr/bin/python3
"""Independent 3D check of a prompt-free label volume of Colin27 (ch2) against the AAL atlas grouped into lobes.

  pgsam_volume_dice.py LABELS.nii.gz [LABELS.json]

Checks that nibabel reads LABELS.nii.gz with ch2's shape and affine, groups the 116 AAL regions
into the 8 structures by their names (written here from the lobe table, not taken from SegSam),
and prints a JSON object: per structure the 3D Dice and voxel counts, and "all structures"
(any label against any AAL region). With LABELS.json (segment's segmentation.json) the label
values are looked up by name there; otherwise label c is structure c of the list below.
"""
import json
import sys

import nibabel as nib
import numpy as np

TEMPLATES = "/usr/share/mricron/templates"
STRUCTURES = ["frontal", "parietal", "temporal", "occipital", "limbic", "deep_grey", "cerebellum", "vermis"]
# AAL name prefixes per structure (Tzourio-Mazoyer et al. 2002 lobe table; paracentral lobule as
# frontal, fusiform as temporal, insula/cingulum/hippocampus/parahippocampal/amygdala as limbic).
PREFIXES = {
    "frontal": ["Precentral", "Frontal_", "Rolandic_Oper", "Supp_Motor_Area", "Olfactory", "Rectus", "Paracentral_Lobule"],
    "parietal": ["Postcentral", "Parietal_", "SupraMarginal", "Angular", "Precuneus"],
    "temporal": ["Heschl", "Temporal_", "Fusiform"],
    "occipital": ["Calcarine", "Cuneus", "Lingual", "Occipital_"],
    "limbic": ["Insula", "Cingulum_", "Hippocampus", "ParaHippocampal", "Amygdala"],
    "deep_grey": ["Caudate", "Putamen", "Pallidum", "Thalamus"],
    "cerebellum": ["Cerebelum_"],
    "vermis": ["Vermis_"],
}


def structure_of(name):
    hits = [s for s, prefixes in PREFIXES.items() if any(name.startswith(p) for p in prefixes)]
    if len(hits) != 1:
        sys.exit(f"AAL region {name}: {len(hits)} structures match")
    return hits[0]


def main():
    labels_path = sys.argv[1]
    labels = nib.load(labels_path)
    ch2 = nib.load(f"{TEMPLATES}/ch2.nii.gz")
    if labels.shape != ch2.shape or not np.allclose(labels.affine, ch2.affine, atol=1e-5):
        sys.exit(f"grid differs from ch2: shape {labels.shape} vs {ch2.shape}, affine\n{labels.affine}\nvs\n{ch2.affine}")
    value_of = {s: i + 1 for i, s in enumerate(STRUCTURES)}
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            table = json.load(f)
        value_of = {name: int(value) for value, name in table["Labels"].items()}
    pred = np.asarray(labels.dataobj)
    aal = np.asarray(nib.load(f"{TEMPLATES}/aal.nii.gz").dataobj)
    if aal.shape != ch2.shape:
        sys.exit("aal.nii.gz is not on ch2's grid")
    truth = np.zeros(aal.shape, dtype=np.int16)
    with open(f"{TEMPLATES}/aal.nii.txt") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                truth[aal == int(parts[0])] = STRUCTURES.index(structure_of(parts[1])) + 1

    def dice(p, t):
        return 2.0 * np.logical_and(p, t).sum() / (p.sum() + t.sum())

    result = {}
    for i, s in enumerate(STRUCTURES):
        p, t = pred == value_of[s], truth == i + 1
        result[s] = {"dice": float(dice(p, t)), "predicted": int(p.sum()), "truth": int(t.sum())}
    p, t = pred > 0, truth > 0
    result["all structures"] = {"dice": float(dice(p, t)), "predicted": int(p.sum()), "truth": int(t.sum())}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
