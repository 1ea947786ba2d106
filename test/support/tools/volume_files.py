"""NRRD, MetaImage and multi-frame DICOM volumes written by ITK and teem, and ITK's reading of them: the reference
of test/native/volume-files.test.ts.

    volume_files.py NIFTI_DIR OUT_DIR TEEM_UNU

Re-encodes the shared NIfTI samples with SimpleITK (ITK's NrrdIO and MetaIO writers: attached and detached
headers, compressed or not, several voxel types) and with teem's `unu` (the NRRD reference implementation: text,
hex and big-endian encodings), plus two MetaImage variants ITK reads but does not write (big-endian and text data,
header fields rewritten here). ITK's GDCM writer makes multi-frame DICOM (Multi-frame Grayscale Word Secondary
Capture, geometry in functional groups); pydicom makes two variants of them: frames stored in reverse order (their
positions say where they lie), and a CT whose rescale lives in the shared Pixel Value Transformation group.
Then every file is read back by SimpleITK, and its voxels (float32, x fastest) are written beside it as
NAME.ref.f32 (a variant's are those of the volume it was made from); the JSON printed lists each file with ITK's
size and spacing.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pydicom
import SimpleITK as sitk

sitk.ProcessObject_SetGlobalWarningDisplay(False)

nifti_dir, out, unu = sys.argv[1:4]


def image(name, pixel=None):
    img = sitk.ReadImage(os.path.join(nifti_dir, name))
    return sitk.Cast(img, pixel) if pixel is not None else img


def write(img, name, compress):
    sitk.WriteImage(img, os.path.join(out, name), useCompression=compress)


ct, mr, seg = image("example_ct_sm.nii.gz"), image("example_mr_sm.nii.gz"), image("example_seg.nii.gz")
# The samples' voxels are 3 mm cubes: a spacing that differs per axis shows an axis mix-up.
for img, spacing in [(ct, (0.7, 0.8, 2.5)), (mr, (0.9, 1.1, 3.3)), (seg, (0.7, 0.8, 2.5))]:
    img.SetSpacing(spacing)
write(ct, "ct_gzip.nrrd", True)
write(ct, "ct_raw.nrrd", False)
write(mr, "mr_detached.nhdr", True)
write(sitk.Cast(mr, sitk.sitkFloat64), "mr_float64.nrrd", True)
write(mr, "mr_zlib.mha", True)
write(mr, "mr_raw.mha", False)
write(seg, "seg_detached.mhd", False)
write(sitk.Cast(ct, sitk.sitkFloat32) * 0.5, "ct_float32_zlib.mhd", True)
write(sitk.Cast(seg, sitk.sitkInt8), "seg_int8.mha", False)

# ITK writes multi-frame DICOM of unsigned 16-bit voxels only: the CT, from -1024 HU (air) up, goes up by 1024.
ct_air = sitk.Clamp(ct, sitk.sitkInt16, -1024, 30000)
write(sitk.Cast(mr, sitk.sitkUInt16), "mr_multiframe.dcm", False)
write(sitk.Cast(ct_air + 1024, sitk.sitkUInt16), "ct_multiframe.dcm", False)

# teem's own encodings of the raw NRRD.
for encoding, endian, name in [("ascii", "little", "ct_ascii.nrrd"), ("hex", "big", "ct_hex_big.nrrd"),
                               ("raw", "big", "ct_raw_big.nrrd"), ("gzip", "big", "ct_gzip_big.nrrd")]:
    subprocess.run([unu, "save", "-f", "nrrd", "-e", encoding, "-en", endian, "-i", os.path.join(out, "ct_raw.nrrd"),
                    "-o", os.path.join(out, name)], check=True)


def rewrite_mha(source, target, fields, data):
    """A copy of an uncompressed .mha with header fields replaced and its voxel bytes replaced."""
    with open(os.path.join(out, source), "rb") as f:
        header, _ = f.read().split(b"ElementDataFile = LOCAL\n", 1)
    lines = [l for l in header.decode().splitlines() if l.split(" = ")[0] not in fields]
    lines += [f"{k} = {v}" for k, v in fields.items()] + ["ElementDataFile = LOCAL"]
    with open(os.path.join(out, target), "wb") as f:
        f.write(("\n".join(lines) + "\n").encode() + data)


voxels = sitk.GetArrayFromImage(mr)  # z, y, x: C order is x fastest
rewrite_mha("mr_raw.mha", "mr_big_endian.mha", {"BinaryDataByteOrderMSB": "True"}, voxels.astype(">i2").tobytes())
rewrite_mha("mr_raw.mha", "mr_text.mha", {"BinaryData": "False"}, " ".join(map(str, voxels.ravel())).encode() + b"\n")

files = []
for name in sorted(os.listdir(out)):
    if not name.endswith((".nrrd", ".nhdr", ".mha", ".mhd", ".dcm")):
        continue
    img = sitk.ReadImage(os.path.join(out, name))
    sitk.GetArrayFromImage(img).astype(np.float32).tofile(os.path.join(out, name + ".ref.f32"))
    files.append({"name": name, "size": list(img.GetSize()), "spacing": list(img.GetSpacing()),
                  "type": img.GetPixelIDTypeAsString()})


def dicom_variant(source, target, change, reference):
    """A pydicom edit of an ITK multi-frame file; its reference is that of `reference` (the volume it shows)."""
    ds = pydicom.dcmread(os.path.join(out, source))
    change(ds)
    ds.save_as(os.path.join(out, target))
    with open(os.path.join(out, reference + ".ref.f32"), "rb") as f, open(os.path.join(out, target + ".ref.f32"), "wb") as g:
        g.write(f.read())
    files.append({**next(f for f in files if f["name"] == reference.split(".ref")[0]), "name": target})


def reverse_frames(ds):
    frames = ds.pixel_array[::-1].copy()
    ds.PixelData = frames.tobytes()
    ds.PerFrameFunctionalGroupsSequence = pydicom.Sequence(list(ds.PerFrameFunctionalGroupsSequence)[::-1])


def rescale_in_functional_group(ds):
    # Stored values back to HU through a Pixel Value Transformation (0028,9145) in the shared group.
    item = pydicom.Dataset()
    item.RescaleIntercept, item.RescaleSlope, item.RescaleType = "-1024", "1", "HU"
    ds.SharedFunctionalGroupsSequence[0].PixelValueTransformationSequence = pydicom.Sequence([item])
    for tag in ("RescaleIntercept", "RescaleSlope"):
        if tag in ds:
            delattr(ds, tag)


sitk.GetArrayFromImage(ct_air).astype(np.float32).tofile(os.path.join(out, "ct_hu.ref.f32"))
files.append({"name": "ct_hu", "size": list(ct.GetSize()), "spacing": list(ct.GetSpacing()), "type": ct.GetPixelIDTypeAsString()})
dicom_variant("mr_multiframe.dcm", "mr_multiframe_reversed.dcm", reverse_frames, "mr_multiframe.dcm")
dicom_variant("ct_multiframe.dcm", "ct_multiframe_rescaled.dcm", rescale_in_functional_group, "ct_hu")
files = [f for f in files if f["name"] != "ct_hu"]
print(json.dumps(files))
