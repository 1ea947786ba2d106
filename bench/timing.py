"""Timing shared by the PyTorch contestants of the benchmarks."""
import time


def median_ms(run, warmup, runs):
    """The median wall time of `run()` in milliseconds, after `warmup` untimed calls."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)[len(times) // 2]
