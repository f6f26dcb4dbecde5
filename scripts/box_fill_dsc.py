#!/usr/bin/python3
"""The trivial reference for box prompts: predict the whole box. Prints the mean DSC over the
objects of a prepared set (objects ≥ 0.153 % of the slice; box = bounds of the largest
8-connected component, as SegSam's evaluation prompts). Usage: scripts/box_fill_dsc.py DIR"""
import sys
import numpy as np
from scipy import ndimage

labels = np.load(f"{sys.argv[1]}/labels.npy")
scores = []
for slice_labels in labels:
    for value in np.unique(slice_labels):
        mask = slice_labels == value
        if value == 0 or mask.sum() < 0.00153 * mask.size:
            continue
        components, count = ndimage.label(mask, structure=np.ones((3, 3)))
        sizes = ndimage.sum(mask, components, range(1, count + 1))
        ys, xs = np.nonzero(components == np.argmax(sizes) + 1)
        box = np.zeros_like(mask)
        box[ys.min():ys.max() + 1, xs.min():xs.max() + 1] = True
        scores.append(2 * (box & mask).sum() / (box.sum() + mask.sum()))
print(f"{len(scores)} objects, box-fill DSC {np.mean(scores):.4f}")
