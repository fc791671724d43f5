"""Merges benchmark outputs into BENCHMARKS.md, replacing that section and keeping the others.

usage: report.py gemm JAVA_OUT TORCH_OUT COMMAND OPENBLAS_CORE TORCH_DEFAULT_OUT DEFAULT_CORE CORETYPE_SETTING
"""
import datetime
import os
import platform
import re
import subprocess
import sys

import torch

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
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
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
        f"PyTorch is `torch.mm`, run twice: with OpenBLAS free to pick its best kernels (core {core}), which is",
        "the reference for the ratio, and as this machine runs it by default, where OPENBLAS_CORETYPE="
        f"{coretype} holds OpenBLAS to core {default_core}.",
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
    else:
        raise SystemExit(f"unknown section {kind}")
    text = open(PATH).read() if os.path.exists(PATH) else (
        "# Benchmarks\n\nFigures from the project's benchmark commands, each section with its date, machine and command.\n"
        "These machines are shared and noisy: compare ratios from the same run, not absolute figures across runs.\n")
    open(PATH, "w").write(replace_section(text, title, section))


if __name__ == "__main__":
    main()
