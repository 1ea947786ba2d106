"""Variants of real DICOM files (pydicom's test corpus) for test/native/dicom-decoders.test.ts, written to OUT.

Each keeps a real file's pixels and changes what the pixel module says about them, in ways real PACS exports
do: a Modality LUT Sequence, a VOI LUT Sequence, a SIGMOID VOI LUT Function, a stored window that clamps most of
the image, Pixel Padding Value, unused high bits filled with garbage, 12-bit two's complement values stored
without sign extension. The HTJ2K files wrap codestreams made by Debian's OpenJPH (ojph_compress). The
transcodings to other syntaxes are made by dcmtk and GDCM in the test itself.

usage: dicom_variants.py TEST_FILES_DIR OUT_DIR
"""
import os
import subprocess
import sys

import numpy as np
import pydicom
from pydicom.encaps import encapsulate
from pydicom.uid import ExplicitVRLittleEndian

src, out = sys.argv[1], sys.argv[2]


def load(name):
    return pydicom.dcmread(os.path.join(src, name))


def save(ds, name):
    ds.save_as(os.path.join(out, name), enforce_file_format=True)


def lut_item(first, bits, values):
    item = pydicom.Dataset()
    item.add_new(0x00283002, "US", [len(values) % 65536, first, bits])  # LUTDescriptor
    item.add_new(0x00283006, "US", [int(v) for v in values])  # LUTData, as US (OW is the other VR it may take)
    return item


# MR_small: 16-bit signed? its stored values are small positives; a modality LUT mapping each value to its square
# root x 100 (a non-linear LUT, the case slope/intercept cannot express).
ds = load("MR_small.dcm")
values = ds.pixel_array.astype(np.int64)
first, last = int(values.min()), int(values.max())
item = lut_item(first, 16, np.round(np.sqrt(np.arange(first, last + 1) - first) * 100))
item.ModalityLUTType = "US"
ds.ModalityLUTSequence = pydicom.Sequence([item])
for tag in ("RescaleSlope", "RescaleIntercept", "WindowCenter", "WindowWidth"):
    if tag in ds:
        delattr(ds, tag)
save(ds, "modality_lut_sequence.dcm")

# CT_small with a VOI LUT Sequence (a gamma curve over its stored range) and no window.
ds = load("CT_small.dcm")
values = ds.pixel_array.astype(np.int64)
first, last = int(values.min()), int(values.max())
ramp = np.linspace(0, 1, last - first + 1) ** 0.5
ds.VOILUTSequence = pydicom.Sequence([lut_item(first % 65536, 12, np.round(ramp * 4095))])
for tag in ("WindowCenter", "WindowWidth"):
    if tag in ds:
        delattr(ds, tag)
save(ds, "voi_lut_sequence.dcm")

# CT_small with a SIGMOID window, and with a brain window (40/100 HU) that clamps most of it.
ds = load("CT_small.dcm")
ds.WindowCenter, ds.WindowWidth, ds.VOILUTFunction = 40, 400, "SIGMOID"
save(ds, "voi_sigmoid.dcm")
ds = load("CT_small.dcm")
ds.WindowCenter, ds.WindowWidth = 40, 100
if "VOILUTFunction" in ds:
    del ds.VOILUTFunction
save(ds, "brain_window.dcm")

# MR_small with its minimum stored value declared as padding.
ds = load("MR_small.dcm")
ds.add_new(0x00280120, "SS" if ds.PixelRepresentation else "US", int(ds.pixel_array.min()))  # PixelPaddingValue
save(ds, "pixel_padding.dcm")

# MR_small with garbage above BitsStored: 12 bits stored, bits 12-15 set in every pixel (an overlay left in them).
ds = load("MR_small.dcm")
stored = ds.pixel_array.astype(np.uint16) & 0x0FFF
ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 12, 11, 0
ds.PixelData = (stored | 0xA000).astype("<u2").tobytes()
save(ds, "unused_high_bits.dcm")

# CT_small as 12-bit two's complement without sign extension (negatives stored as 0x800-0xFFF in 16 bits).
ds = load("CT_small.dcm")
signed = np.clip(ds.pixel_array.astype(np.int32), -2048, 2047)
ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 12, 11, 1
ds.PixelData = (signed & 0x0FFF).astype("<u2").tobytes()
save(ds, "unextended_12bit_signed.dcm")

# HTJ2K (lossless and lossy) from OpenJPH, on MR_small's pixels (unsigned 16-bit PGM).
ds = load("MR_small.dcm")
pixels = ds.pixel_array.astype(np.int64)
pgm = os.path.join(out, "mr.pgm")
with open(pgm, "wb") as f:
    f.write(f"P5 {ds.Columns} {ds.Rows} 65535\n".encode() + (pixels - pixels.min()).astype(">u2").tobytes())
for name, syntax, args in (("htj2k_lossless.dcm", "1.2.840.10008.1.2.4.201", ["-reversible", "true"]),
                           ("htj2k_lossy.dcm", "1.2.840.10008.1.2.4.203", ["-qstep", "0.001"])):
    stream = os.path.join(out, name + ".j2c")
    subprocess.run(["ojph_compress", "-i", pgm, "-o", stream, *args], check=True, capture_output=True)
    frame = open(stream, "rb").read()
    os.remove(stream)
    variant = load("MR_small.dcm")
    variant.PixelRepresentation, variant.BitsStored, variant.BitsAllocated, variant.HighBit = 0, 16, 16, 15
    variant.RescaleSlope, variant.RescaleIntercept = 1, int(pixels.min())
    variant.PixelData = encapsulate([frame])
    variant["PixelData"].VR = "OB"
    variant.file_meta.TransferSyntaxUID = syntax
    save(variant, name)
os.remove(pgm)
