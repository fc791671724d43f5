"""The timing harness of the PyTorch side of the benchmarks, the twin of Bench.java: warm-up,
calibrated batches, the median (or, for tuning, the best) of repeated batches."""
import statistics
import time


def median_seconds(body, warmup, repeats, batch_seconds):
    end = time.perf_counter() + warmup
    calls, start = 0, time.perf_counter()
    while True:
        body()
        calls += 1
        if time.perf_counter() >= end:
            break
    per_call = (time.perf_counter() - start) / calls
    batch = max(1, int(batch_seconds / max(per_call, 1e-9)))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(batch):
            body()
        times.append((time.perf_counter() - t0) / batch)
    return statistics.median(times)
