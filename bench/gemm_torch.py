"""torch.mm throughput on the shapes of bench/gemm-shapes.txt, in the same format as GemmBenchmark.

Run by bench/gemm with OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and OMP_WAIT_POLICY=PASSIVE set for
the thread count, because Debian's torch does its matrix multiplies in OpenBLAS, which
torch.set_num_threads does not control.
"""
import argparse

import torch

from timing import median_seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shapes", default="bench/gemm-shapes.txt")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    for line in open(args.shapes):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m, n, k, ta, tb = (int(x) for x in line.split())
        a = torch.rand(k, m) if ta else torch.rand(m, k)
        b = torch.rand(n, k) if tb else torch.rand(k, n)
        opa = a.t() if ta else a
        opb = b.t() if tb else b
        out = torch.empty(m, n)
        body = lambda: torch.mm(opa, opb, out=out)
        seconds = (median_seconds(body, 0.05, 3, 0.02) if args.quick
                   else median_seconds(body, 0.5, 7, 0.15))
        print(f"gemm {m} {n} {k} {ta} {tb} pytorch {args.threads} {2.0 * m * n * k / seconds / 1e9:.2f}")


if __name__ == "__main__":
    main()
