"""pydicom's decoding of DICOM files, the independent reference of test/native/dicom-decoders.test.ts.

Prints, as JSON, for each path argument: its pixel description, and base64 arrays of pydicom's stored values
(pixel_array as int32: masked and sign-extended; RGB for the YBR interpretations, which pydicom converts), the
Modality LUT's output (apply_modality_lut) for gray images, the VOI LUT's output normalised to [0, 1]
(apply_voi_lut of the Modality LUT's output, over its own output range) where a window or VOI LUT is stored, and RGB for palette colour
(apply_color_lut). Decoders: pydicom's own (native, RLE, deflate) and pylibjpeg's (libjpeg, OpenJPEG). A file
pydicom cannot decode gets an 'error'.
"""
import base64
import json
import sys
import warnings

import numpy as np
import pydicom
from pydicom.pixels import apply_color_lut, apply_modality_lut, apply_voi_lut

warnings.simplefilter("ignore")


def b64(array):
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode()


def voi_range(ds):
    """apply_voi_lut's output range for a window (pydicom's apply_windowing), to normalise it to [0, 1]."""
    bits = ds.BitsStored
    lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if ds.PixelRepresentation == 1 else (0, 2 ** bits - 1)
    if "ModalityLUTSequence" not in ds and "RescaleSlope" in ds:
        slope, intercept = float(ds.RescaleSlope), float(getattr(ds, "RescaleIntercept", 0))
        lo, hi = lo * slope + intercept, hi * slope + intercept
    return lo, hi


def reference(path):
    out = {"path": path}
    try:
        ds = pydicom.dcmread(path, force=True)
        if "TransferSyntaxUID" not in getattr(ds, "file_meta", {}):
            implicit, little = ds.original_encoding
            ds.file_meta = getattr(ds, "file_meta", pydicom.dataset.FileMetaDataset())
            ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2" if implicit else ("1.2.840.10008.1.2.1" if little else "1.2.840.10008.1.2.2")
        pixels = ds.pixel_array
        out.update(rows=int(ds.Rows), columns=int(ds.Columns), frames=int(getattr(ds, "NumberOfFrames", 1) or 1),
                   samples=int(ds.SamplesPerPixel), photometric=str(ds.PhotometricInterpretation), bitsStored=int(ds.BitsStored), bitsAllocated=int(ds.BitsAllocated),
                   syntax=str(ds.file_meta.TransferSyntaxUID))
        out["stored"] = b64(pixels.astype(np.int32))
        if ds.PhotometricInterpretation == "PALETTE COLOR":
            out["rgb"] = b64(apply_color_lut(pixels, ds).astype(np.float64))
        elif ds.SamplesPerPixel == 1:
            modality = apply_modality_lut(pixels, ds)
            out["modality"] = b64(modality.astype(np.float64))
            if "VOILUTSequence" in ds:
                lut = ds.VOILUTSequence[0]
                out["voi"] = b64(apply_voi_lut(modality, ds).astype(np.float64) / (2 ** int(lut.LUTDescriptor[2]) - 1))
            elif "WindowCenter" in ds and "WindowWidth" in ds:
                lo, hi = voi_range(ds)
                out["voi"] = b64((apply_voi_lut(modality, ds).astype(np.float64) - lo) / (hi - lo))
    except Exception as e:  # noqa: BLE001 - the test compares refusals too
        out["error"] = f"{type(e).__name__}: {e}"
    return out


print(json.dumps([reference(p) for p in sys.argv[1:]]))
