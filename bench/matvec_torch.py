"""The floor under W5: torch.mv, one thread, on the matrices of a streaming LSTM(64, 256) step.

A step multiplies its 1024 gate rows by [x, h] (64 + 256 values): 1.31 MB of float32 weights. This
prints how long PyTorch's own BLAS (OpenBLAS on its best kernels, as bench/torch-env runs it) takes
for that product alone, and for the half that each thread takes when the step is split across two,
so that W5's figures can be set against what the machine does for the product at its heart.

    bench/torch-env 1 /usr/bin/python3 bench/matvec_torch.py
"""
import torch

from timing import median_seconds


def matvec_seconds(rows, cols, timing=(1.0, 7, 0.2)):
    """Median seconds of torch.mv of a random rows×cols float32 matrix by a vector, into a kept output."""
    w = torch.randn(rows, cols)
    v = torch.randn(cols)
    out = torch.empty(rows)
    return median_seconds(lambda: torch.mv(w, v, out=out), *timing)


def main():
    torch.set_num_threads(1)
    for rows, cols, what in ((1024, 320, "W_ih|W_hh, a whole step's gate rows"), (512, 320, "half of them"),
                             (1024, 256, "W_hh alone"), (1024, 64, "W_ih alone")):
        seconds = matvec_seconds(rows, cols)
        print(f"matvec {rows}x{cols} ({what}): {1e6 * seconds:.2f} us, "
              f"{4 * rows * cols / seconds / 1e9:.1f} GB/s of weights")


if __name__ == "__main__":
    main()
