"""Prints the OpenBLAS kernel family ("core") that torch's OpenBLAS runs on this machine."""
import ctypes
import glob

import torch  # noqa: F401  (loads the same OpenBLAS torch uses)

for path in sorted(glob.glob("/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas*.so*")):
    lib = ctypes.CDLL(path)
    lib.openblas_get_corename.restype = ctypes.c_char_p
    lib.openblas_get_config.restype = ctypes.c_char_p
    print(f"{lib.openblas_get_corename().decode()} ({lib.openblas_get_config().decode()})")
    break
else:
    print("unknown")
