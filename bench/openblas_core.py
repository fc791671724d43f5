"""What OpenBLAS kernel family ("core") torch's OpenBLAS runs on this machine, and which one to force.

  openblas_core.py            prints the core OpenBLAS runs, with its build configuration
  openblas_core.py --force    prints the OPENBLAS_CORETYPE that gives OpenBLAS the kernels this CPU can
                              run, or nothing when its own detection already does

Debian's OpenBLAS 0.3.21 does not know every newer CPU. On an Intel Xeon of model 207 it falls back
to Prescott (SSE3) kernels: 20-31 GFLOP/s on a 512³ torch.mm, 1 thread, against 96-145 with its
AVX-512 (Cooperlake) ones, measured on 2026-11-28. PyTorch would then run several times slower than
it can, and every ratio against it would flatter us; the benchmark scripts (bench/torch-env) force
the right core instead, from the CPU's flags.
"""
import ctypes
import glob
import sys

import torch  # noqa: F401  (loads the same OpenBLAS torch uses)

# The instruction set each core's kernels use: 2 = AVX2 and FMA, 3 = AVX-512. Older cores are 0.
LEVELS = {"Haswell": 2, "Zen": 2, "SkylakeX": 3, "Cooperlake": 3, "SapphireRapids": 3}


def core():
    for path in sorted(glob.glob("/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas*.so*")):
        lib = ctypes.CDLL(path)
        lib.openblas_get_corename.restype = ctypes.c_char_p
        lib.openblas_get_config.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode(), lib.openblas_get_config().decode()
    return None, None


def cpu_flags():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def forced_core(name, flags):
    """The core to force when OpenBLAS's own choice uses an older instruction set than the CPU has."""
    if {"avx512f", "avx512bw", "avx512vl"} <= flags:
        best = "Cooperlake" if "avx512_bf16" in flags else "SkylakeX"
    elif {"avx2", "fma"} <= flags:
        best = "Haswell"
    else:
        return ""
    return best if name is not None and LEVELS.get(name, 0) < LEVELS[best] else ""


if __name__ == "__main__":
    name, config = core()
    if sys.argv[1:] == ["--force"]:
        print(forced_core(name, cpu_flags()))
    else:
        print("unknown" if name is None else f"{name} ({config})")
