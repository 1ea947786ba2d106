# The ONNX project's own tools over ttl-torch's exported files: the checker (full_check, which also runs strict
# shape inference) must accept each model, and onnxruntime from PyPI runs it on the given input; the outputs are
# written beside it for the test to compare with ttl-torch's eval outputs.
# usage: python onnx_reference.py MANIFEST.json
#   MANIFEST: [{"model": "a.onnx", "input": "a.bin", "shape": [2, 3, 64, 64], "out": "a"}, ...]; the input is
#   float32 little-endian; each output NAME is written to OUT.NAME.bin (float32, or int64 for the mask).
# Prints one JSON object: the package versions and, per model, its opset and each output's shape and dtype.
import json
import sys

import numpy as np
import onnx
import onnxruntime


def run(entry):
    model = onnx.load(entry["model"])
    onnx.checker.check_model(model, full_check=True)
    session = onnxruntime.InferenceSession(entry["model"], providers=["CPUExecutionProvider"])
    image = np.fromfile(entry["input"], dtype="<f4").reshape(entry["shape"])
    names = [o.name for o in session.get_outputs()]
    outputs = {}
    for name, value in zip(names, session.run(names, {"image": image})):
        value.astype(value.dtype.newbyteorder("<")).tofile(f"{entry['out']}.{name}.bin")
        outputs[name] = {"shape": list(value.shape), "dtype": str(value.dtype)}
    return {"model": entry["model"], "opset": model.opset_import[0].version, "outputs": outputs}


def main():
    with open(sys.argv[1]) as f:
        manifest = json.load(f)
    results = [run(entry) for entry in manifest]
    print(json.dumps({"onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__, "models": results}))


if __name__ == "__main__":
    main()
