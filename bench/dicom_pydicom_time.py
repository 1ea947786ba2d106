"""Times pydicom + pylibjpeg decoding (dcmread, then pixel_array) of each file argument, REPS times after one
warm-up, in this process; prints {path: [ms, ...]} as JSON. bench/dicom.bench.mjs interleaves it with ttl-torch."""
import json
import sys
import time

import pydicom

reps = int(sys.argv[1])
times = {}
for path in sys.argv[2:]:
    pydicom.dcmread(path).pixel_array
    runs = []
    for _ in range(reps):
        start = time.perf_counter()
        pydicom.dcmread(path).pixel_array
        runs.append((time.perf_counter() - start) * 1000)
    times[path] = runs
print(json.dumps(times))
