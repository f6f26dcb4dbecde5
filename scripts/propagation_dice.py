#!/usr/bin/python3
"""Independent check of `segsam segment --propagate` on the built-in MRI, with nibabel.

  box  REGION Z              prints the exact box (x0,y0,x1,y1 on slice.png) of an AAL region on axial slice Z
  dice REGION LABELS.nii.gz  3D Dice of the label volume (non-zero voxels) against the AAL region,
                             after checking that the label volume has ch2's shape and affine

slice.png pixel (row r, column c) of axial slice z is RAS voxel (nx-1-c, ny-1-r, z): rows from
anterior down, columns from the patient's right (SegSam's SliceGeometry).
"""
import sys

import nibabel as nib
import numpy as np

TEMPLATES = "/usr/share/mricron/templates"


def region_mask(name):
    codes = {}
    with open(f"{TEMPLATES}/aal.nii.txt") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                codes[parts[1]] = int(parts[0])
    if name not in codes:
        sys.exit(f"unknown AAL region {name}")
    aal = nib.as_closest_canonical(nib.load(f"{TEMPLATES}/aal.nii.gz"))
    return np.asarray(aal.dataobj) == codes[name], aal


def main():
    command, region = sys.argv[1], sys.argv[2]
    mask, aal = region_mask(region)
    if command == "box":
        z = int(sys.argv[3])
        xs, ys = np.nonzero(mask[:, :, z])
        if xs.size == 0:
            sys.exit(f"{region} is not on axial slice {z}")
        nx, ny = mask.shape[:2]
        cols, rows = nx - 1 - xs, ny - 1 - ys
        print(f"{cols.min()},{rows.min()},{cols.max()},{rows.max()}")
    elif command == "dice":
        labels = nib.load(sys.argv[3])
        ch2 = nib.load(f"{TEMPLATES}/ch2.nii.gz")
        if labels.shape != ch2.shape or not np.allclose(labels.affine, ch2.affine, atol=1e-5):
            sys.exit(f"grid differs from ch2: shape {labels.shape} vs {ch2.shape}, affine\n{labels.affine}\nvs\n{ch2.affine}")
        pred = np.asarray(nib.as_closest_canonical(labels).dataobj) != 0
        inter = np.logical_and(pred, mask).sum()
        dice = 2.0 * inter / (pred.sum() + mask.sum())
        zs = np.nonzero(pred.any(axis=(0, 1)))[0]
        zr = np.nonzero(mask.any(axis=(0, 1)))[0]
        print(f"{region}: 3D Dice {dice:.4f}; predicted {int(pred.sum())} voxels on axial slices {zs.min()}-{zs.max()}, "
              f"atlas {int(mask.sum())} voxels on {zr.min()}-{zr.max()}; affine equal to ch2's")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
