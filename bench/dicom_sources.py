"""Source DICOM files for bench/dicom.bench.mjs, from raw int16 CT slices that the bench wrote (real CT from
../shared/data/nifti-samples, resampled to the sizes a PACS sends): each RAW file W x H becomes NAME.dcm, an
Explicit VR Little Endian CT image (HU = stored - 1024, a soft-tissue window), and NAME-htj2k.dcm, the same pixels
as HTJ2K from Debian's OpenJPH. The other syntaxes are transcoded by the bench with GDCM and dcmtk.

usage: dicom_sources.py OUT_DIR NAME:W:H:RAW [...]
"""
import os
import subprocess
import sys

import numpy as np
import pydicom
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

out = sys.argv[1]


def dataset(pixels, syntax):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = syntax
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID, "CT"
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.RescaleSlope, ds.RescaleIntercept, ds.WindowCenter, ds.WindowWidth = 1, -1024, 40, 400
    return ds


for spec in sys.argv[2:]:
    name, width, height, raw = spec.split(":")
    hu = np.fromfile(raw, dtype="<i2").reshape(int(height), int(width))
    stored = np.clip(hu.astype(np.int32) + 1024, 0, 65535).astype(np.uint16)
    ds = dataset(stored, ExplicitVRLittleEndian)
    ds.PixelData = stored.tobytes()
    ds.save_as(os.path.join(out, f"{name}.dcm"), enforce_file_format=True)
    pgm = os.path.join(out, f"{name}.pgm")
    with open(pgm, "wb") as f:
        f.write(f"P5 {width} {height} 65535\n".encode() + stored.astype(">u2").tobytes())
    stream = os.path.join(out, f"{name}.j2c")
    subprocess.run(["ojph_compress", "-i", pgm, "-o", stream, "-reversible", "true"], check=True, capture_output=True)
    ht = dataset(stored, "1.2.840.10008.1.2.4.201")
    ht.PixelData = encapsulate([open(stream, "rb").read()])
    ht["PixelData"].VR = "OB"
    ht.save_as(os.path.join(out, f"{name}-htj2k.dcm"), enforce_file_format=True)
    os.remove(pgm)
    os.remove(stream)
