"""Merges benchmark outputs into BENCHMARKS.md, replacing that section and keeping the others.

usage: report.py gemm JAVA_OUT TORCH_OUT COMMAND OPENBLAS_CORE TORCH_DEFAULT_OUT DEFAULT_CORE CORETYPE_SETTING
"""
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys

import torch

import openblas_core

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
PATH = os.path.join(ROOT, "BENCHMARKS.md")


def machine():
    cpu = "unknown CPU"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    except OSError:
        pass
    java = subprocess.run([os.environ.get("JAVA", "java"), "-version"], capture_output=True,
                          text=True).stderr.splitlines()[0]
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; {java}; torch {torch.__version__}"


def read(path):
    rows = {}
    for line in open(path):
        f = line.split()
        if len(f) == 9 and f[0] == "gemm":
            rows[(tuple(int(x) for x in f[1:6]), f[6].split("-")[0], int(f[7]))] = float(f[8])
    return rows


def gemm_section(java_out, torch_out, command, core, default_out, default_core, coretype):
    java = read(java_out)
    torch_rows = read(torch_out)
    default_rows = read(default_out)
    shapes = sorted({k[0] for k in java}, key=lambda s: (s[0] > 64, -s[0] if s[0] > 64 else s[0], s[1], s[2], s[3], s[4]))
    lines = [
        "## GEMM",
        "",
        f"Measured {datetime.date.today().isoformat()} with `{command}` on {machine()}.",
        f"PyTorch is `torch.mm`, run twice: with OpenBLAS on its best kernels (core {core}; `bench/torch-env`),",
        "which is the reference for the ratio, and as this machine runs it by default, where OPENBLAS_CORETYPE="
        f"{coretype} leaves OpenBLAS on core {default_core}.",
        "GFLOP/s, median of 7 timed batches after warm-up. ratio = recurrent4j SIMD / PyTorch best (above 1: we",
        "are faster). Shapes are `m n k`, C[m,n] = op(A)·op(B); `Bᵀ` means B is stored transposed, as an RNN's",
        "`h·W_hhᵀ` reads it.",
        "",
        "| shape | op | threads | recurrent4j SIMD | recurrent4j scalar | PyTorch best | PyTorch default here | ratio |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in shapes:
        op = ("Aᵀ" if s[3] else "A") + "·" + ("Bᵀ" if s[4] else "B")
        for t in (1, 2):
            simd = java.get((s, "simd", t))
            scalar = java.get((s, "scalar", t))
            pt = torch_rows.get((s, "pytorch", t))
            pd = default_rows.get((s, "pytorch", t))
            ratio = f"{simd / pt:.2f}" if simd and pt else "–"
            fmt = lambda v: f"{v:.1f}" if v is not None else "–"
            lines.append(f"| {s[0]} {s[1]} {s[2]} | {op} | {t} | {fmt(simd)} | {fmt(scalar)} | {fmt(pt)} | {fmt(pd)}"
                         f" | {ratio} |")
    return "\n".join(lines) + "\n"


def read_layers(path):
    rows = {}
    for line in open(path):
        f = line.split()
        if len(f) == 5 and f[0] == "layer":
            rows[(f[1], int(f[2]))] = (float(f[3]), f[4])
    return rows


def layers_section(java_out, torch_out, command):
    java = read_layers(java_out)
    torch_rows = read_layers(torch_out)
    lines = [
        "## Recurrent layers",
        "",
        f"Measured {datetime.date.today().isoformat()} with `{command}` on {machine()}.",
        "Forward + backward of one layer with the output's gradient given (as from a loss), and one",
        "batch-1 streaming step; PyTorch is `torch.nn` with OpenBLAS free to use its best kernels. Median",
        "of 7 timed batches after warm-up. ratio: above 1 means recurrent4j is faster (for µs/step, PyTorch",
        "time / ours).",
        "",
        "| workload | threads | recurrent4j | PyTorch | unit | ratio |",
        "| --- | ---: | ---: | ---: | --- | ---: |",
    ]
    for (name, threads) in java:
        ours, unit = java[(name, threads)]
        theirs = torch_rows.get((name, threads), (None, unit))[0]
        if theirs:
            ratio = ours / theirs if unit != "us/step" else theirs / ours
            ratio = f"{ratio:.2f}"
        else:
            ratio = "–"
        lines.append(f"| {name} | {threads} | {ours:.1f} | {theirs if theirs else '–'} | {unit} | {ratio} |")
    return "\n".join(lines) + "\n"


WORKLOADS = {
    "W1": ("Lstm train step, B=32, T=50, I=64, H=128", 1.5),
    "W2": ("Gru train step, same shapes", 1.5),
    "W3": ("SimpleRnn (tanh) train step, same shapes", 1.5),
    "W4": ("Lstm train step, B=64, T=100, I=256, H=512", 0.8),
    "W5": ("streaming Lstm inference, I=64, H=256, batch 1, one step", 5.0),
    "W6": ("Bidirectional Lstm inference, B=32, T=50, I=64, H=128", 1.5),
    "W7": ("MultiHeadAttention self-attention fwd+bwd, B=32, T=64, E=128, 4 heads", 1.5),
    "W8-512": ("GEMM 512³", 0.6),
    "W8-1024": ("GEMM 1024³", 0.6),
}


def read_round(path):
    rows, extra = {}, []
    for line in open(path):
        f = line.split()
        if len(f) == 4 and f[0] in WORKLOADS and f[1].startswith("threads="):
            rows[(f[0], int(f[1][8:]))] = (float(f[2]), f[3])
        elif f and f[0] in ("memory", "scale", "floor"):
            extra.append(line.strip())
    return rows, extra


def read_compare(paths):
    """One side's rounds (paths separated by commas): per workload, the median over the rounds and each round's value."""
    rounds = [read_round(p) for p in paths.split(",")]
    rows = {}
    for key in rounds[0][0]:
        values = [r[0][key][0] for r in rounds if key in r[0]]
        rows[key] = (statistics.median(values), rounds[0][0][key][1], values)
    return rows, rounds[0][1]


def read_floors(paths):
    """W5's floor lines ("floor W5 threads=<n> <µs> us/step") of each round: per thread count, the median over the rounds."""
    values = {}
    for path in paths.split(","):
        for line in read_round(path)[1]:
            f = line.split()
            if f[0] == "floor" and len(f) == 5 and f[2].startswith("threads="):
                values.setdefault(int(f[2][8:]), []).append(float(f[3]))
    return {threads: statistics.median(v) for threads, v in sorted(values.items())}


def ratio_of(ours, theirs, unit):
    """Above 1 means recurrent4j is faster: speeds ours / theirs, times (µs per step) theirs / ours."""
    return None if not theirs else (theirs / ours if unit == "us/step" else ours / theirs)


def compare_lines(java_out, torch_out):
    """The issue's one line per workload and thread count, from the medians over the rounds."""
    java, _ = read_compare(java_out)
    torch_rows, _ = read_compare(torch_out)
    out = []
    for key in sorted(java, key=lambda k: (list(WORKLOADS).index(k[0]), k[1])):
        ours, unit, our_rounds = java[key]
        theirs, _, their_rounds = torch_rows.get(key, (None, unit, []))
        per_round = [ratio_of(o, t, unit) for o, t in zip(our_rounds, their_rounds)]
        out.append((key[0], key[1], ours, theirs, unit, ratio_of(ours, theirs, unit), per_round))
    return out


def compare_section(java_out, torch_out, java_scale, torch_scale, command):
    rows = compare_lines(java_out, torch_out)
    _, java_extra = read_compare(java_out)
    lines = [
        "## Comparison with PyTorch (W1–W8)",
        "",
        f"Measured {datetime.date.today()} with `{command}` on {machine()}.",
        f"Both sides in the same run with the same float32 shapes and work, alternating in {len(java_out.split(','))} "
        "rounds (Java, then PyTorch,",
        "each round on 1 and 2 threads), so that a burst of load from this shared machine's other tenants in one",
        "round cannot decide a ratio. Each round takes the median of 7 timed batches after warm-up (Java: `Bench`,",
        "PyTorch: `bench/timing.py`); the table gives the median over the rounds of each side, the ratio of those",
        "medians, and each round's own ratio. Threads are set on both sides:",
        "`Parallel.setThreads` in Java; `torch.set_num_threads`, `OPENBLAS_NUM_THREADS`, `OMP_NUM_THREADS` and",
        "`OMP_WAIT_POLICY=PASSIVE` for PyTorch, with OpenBLAS on its best kernels for this CPU",
        f"(`bench/torch-env`; core {openblas_core.core()[0]}).",
        "A train step is forward, MSE on every output, backward and an Adam step. ratio = recurrent4j speed /",
        "PyTorch speed (for µs per step, PyTorch's time / ours): above 1 we are faster.",
        "",
        "| id | workload | threads | recurrent4j | PyTorch | unit | ratio | each round | target | met |",
        "| --- | --- | ---: | ---: | ---: | --- | ---: | --- | ---: | --- |",
    ]
    for wid, threads, ours, theirs, unit, ratio, per_round in rows:
        name, target = WORKLOADS[wid]
        met = "–" if ratio is None else ("yes" if ratio >= target else "no")
        rounds = ", ".join("–" if r is None else f"{r:.2f}" for r in per_round)
        lines.append(f"| {wid} | {name} | {threads} | {ours:.1f} | {theirs if theirs else '–'} | {unit} | "
                     f"{'–' if ratio is None else f'{ratio:.2f}'} | {rounds} | ≥ {target} | {met} |")
    floors = read_floors(torch_out)
    w5 = {threads: (ours, theirs) for wid, threads, ours, theirs, _, _, _ in rows if wid == "W5" and theirs}
    if floors and w5:
        parts = [f"{floors[threads]:.1f} µs on {threads} thread{'s' if threads > 1 else ''} (its `nn.LSTM` step "
                 f"{w5[threads][1]:.1f}, ours {w5[threads][0]:.1f}; a ratio of 5 asks a whole step in "
                 f"{w5[threads][1] / 5:.1f})" for threads in floors if threads in w5]
        lines += ["", "**W5's floor in this run** (medians over the rounds): PyTorch's own `torch.mv` of a step's "
                  "1024 gate rows by [x h], the 1.31 MB of weights a step must read, without the cell, the state or "
                  "`nn.LSTM`'s overhead, took " + " and ".join(parts) + "."]
    mem = {}
    for line in java_extra:
        f = line.split()
        if f[0] == "memory":
            key = f[1] + " " + f[2] if f[2].startswith("calls=") else f[1]
            mem[key] = {k: int(v) for k, v in (x.split("=") for x in f[2:] if not x.startswith("calls="))}
    if "W1 calls=out" in mem:
        out, fresh = mem["W1 calls=out"], mem.get("W1 calls=fresh", {})
        cache = out["activation-cache-bytes"]
        lines += ["", "**Memory** (Java, `ThreadMXBean.getThreadAllocatedBytes`, 1 thread): W1's activation cache, "
                  f"what its first training forward allocates (the slabs kept for backward and the output), is "
                  f"{cache:,} bytes. A warm W1 train step written with the `out=` calls (`forward(x, lengths, "
                  f"initial, out)`, `MeanSquaredError.backward(out)`, `backward(dy, gradFinal, dxOut)`, as the "
                  f"timed W1–W4 steps above are, and W7's with `forward(x, out)` and `backward(dy, dxOut)`) allocates {out['warm-step-bytes']:,} bytes of new garbage, "
                  f"{100.0 * out['warm-step-bytes'] / cache:.2f}% of the cache (target < 1%); written with the "
                  f"calls that return fresh tensors, {fresh.get('warm-step-bytes', 0):,} bytes "
                  f"({100.0 * fresh.get('warm-step-bytes', 0) / cache:.1f}%). A first step allocates "
                  f"{out['first-step-bytes']:,} bytes (the cache, the gradients' slabs and Adam's state). "
                  f"A warm W5 streaming step allocates {mem.get('W5', {}).get('bytes-per-1000-steps', 0) / 1000:g} "
                  "bytes (target 0)."]
    js = read_scale(java_scale)
    ts = read_scale(torch_scale)
    if js:
        passes = len(java_scale.split(","))
        lines += ["", "**Scale**: W1 (1 thread) in ms per train step as one of T, B and H grows from B=32, T=50, "
                  f"I=64, H=128, beside PyTorch; each case is its median over {passes} passes of each side, "
                  "alternating like the rounds above. The work of a step is about 6·B·T·4H(I+H) flops (forward products "
                  "and twice that backward), so linear growth shows as a steady GFLOP/s column: T and B scale the "
                  "work linearly, H quadratically.", "",
                  "| case | recurrent4j ms | PyTorch ms | ratio | recurrent4j GFLOP/s | PyTorch GFLOP/s |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for key, ours in js.items():
            theirs = ts.get(key)
            b, t, h = (int(x.split("=")[1]) for x in key.split()[1:4])
            flops = 6.0 * b * t * 4 * h * (64 + h)
            lines.append(f"| {key[6:]} | {ours:.2f} | {theirs if theirs else '–'} | "
                         f"{theirs / ours if theirs else float('nan'):.2f} | {flops / ours / 1e6:.1f} | "
                         f"{flops / theirs / 1e6 if theirs else float('nan'):.1f} |")
    return "\n".join(lines) + "\n"


def read_scale(paths):
    """Each scale case's median over the passes in the comma-separated paths, in the first pass's order."""
    passes = [{l.rsplit(" ", 2)[0]: float(l.split()[-2]) for l in open(p) if l.startswith("scale ")}
              for p in paths.split(",")]
    return {key: statistics.median(p[key] for p in passes if key in p) for key in passes[0]}


def replace_section(text, name, section):
    pattern = re.compile(r"^## " + re.escape(name) + r"\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        return pattern.sub(lambda _: section + "\n", text)
    return text.rstrip("\n") + "\n\n" + section


def main():
    kind = sys.argv[1]
    if kind == "gemm":
        title, section = "GEMM", gemm_section(*sys.argv[2:9])
    elif kind == "layers":
        title, section = "Recurrent layers", layers_section(*sys.argv[2:5])
    elif kind == "compare-lines":
        for wid, threads, ours, theirs, unit, ratio, _ in compare_lines(sys.argv[2], sys.argv[3]):
            print(f"{wid} threads={threads} recurrent4j={ours:.2f} pytorch={theirs} unit={unit} ratio="
                  + ("-" if ratio is None else f"{ratio:.2f}"))
        for threads, floor in read_floors(sys.argv[3]).items():
            print(f"(W5's floor, not a workload: torch.mv of the step's weights, threads={threads}, {floor:.2f} us)")
        return
    elif kind == "scale-lines":
        ts = read_scale(sys.argv[3])
        for key, ours in read_scale(sys.argv[2]).items():
            print(f"{key} recurrent4j={ours:.3f} pytorch={ts.get(key, float('nan')):.3f} ms/step")
        return
    elif kind == "compare":
        title, section = "Comparison with PyTorch (W1–W8)", compare_section(*sys.argv[2:7])
    else:
        raise SystemExit(f"unknown section {kind}")
    text = open(PATH).read() if os.path.exists(PATH) else (
        "# Benchmarks\n\nFigures from the project's benchmark commands, each section with its date, machine and command.\n"
        "These machines are shared and noisy: compare ratios from the same run, not absolute figures across runs.\n")
    # atomically: an interrupted run leaves the old file whole
    tmp = PATH + ".tmp"
    with open(tmp, "w") as f:
        f.write(replace_section(text, title, section))
    os.replace(tmp, PATH)


if __name__ == "__main__":
    main()
