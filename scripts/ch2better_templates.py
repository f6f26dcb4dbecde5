#!/usr/bin/python3
"""A templates folder for `segsam prepare --dataset atlas --templates DIR` in which ch2.nii.gz is
mricron-data's ch2better (Colin27 at 0.5 mm, skull-stripped, with another contrast), resampled
linearly onto ch2's 1 mm grid through the two affines, and ch2bet.nii.gz is its own brain (the
voxels ch2better has not stripped), so that its tissue classes lie inside its brain; every other
file links to mricron-data's.
It checks the bundled model on another appearance of the same brain (models/segsam-atlas.md).
Usage: scripts/ch2better_templates.py DIR"""
import os
import sys
import nibabel as nib
import numpy as np
from scipy import ndimage

templates, out = "/usr/share/mricron/templates", sys.argv[1]
os.makedirs(out, exist_ok=True)
for name in os.listdir(templates):
    if name not in ("ch2.nii.gz", "ch2bet.nii.gz") and not os.path.exists(os.path.join(out, name)):
        os.symlink(os.path.join(templates, name), os.path.join(out, name))
ch2 = nib.load(f"{templates}/ch2.nii.gz")
better = nib.load(f"{templates}/ch2better.nii.gz")
voxel_to_voxel = np.linalg.inv(better.affine) @ ch2.affine  # ch2 voxel → ch2better voxel
data = np.asarray(better.dataobj, dtype=np.float32)
resampled = ndimage.affine_transform(data, voxel_to_voxel[:3, :3], offset=voxel_to_voxel[:3, 3],
                                     output_shape=ch2.shape, order=1, mode="constant", cval=0)
image = np.clip(np.round(resampled), 0, 255).astype(np.uint8)
nib.save(nib.Nifti1Image(image, ch2.affine), f"{out}/ch2.nii.gz")
# ch2better is zero outside its brain, so it is its own brain-extracted image. mricron's ch2bet is a
# looser brain of the other contrast, and k-means inside it would call ch2better's stripped (zero)
# voxels CSF.
nib.save(nib.Nifti1Image(image, ch2.affine), f"{out}/ch2bet.nii.gz")
print(f"{out}/ch2.nii.gz, ch2bet.nii.gz: ch2better and its brain on ch2's grid {ch2.shape}")
