"""The PyTorch side of bench/compare-pytorch: the workloads W1-W8 in the format of
CompareBenchmark.java, "W<id> threads=<n> <value> <unit>", and the W1 scaling table.

Run by bench/compare-pytorch with OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and OMP_WAIT_POLICY=PASSIVE
set to match --threads: torch.set_num_threads does not control the OpenBLAS that does every matrix
multiply in Debian's PyTorch.
"""
import argparse

import torch

from matvec_torch import matvec_seconds
from timing import median_seconds


def train_step(layer, batch, steps, inp, out):
    x = torch.randn(batch, steps, inp)
    target = torch.randn(batch, steps, out)
    adam = torch.optim.Adam(layer.parameters(), lr=1e-3)

    def step():
        adam.zero_grad()
        y, _ = layer(x)
        torch.nn.functional.mse_loss(y, target).backward()
        adam.step()

    return step


def streaming_lstm_step():
    """One step of nn.LSTM(64, 256) on batch 1, carrying its state: the streaming workload W5."""
    lstm = torch.nn.LSTM(64, 256, batch_first=True)
    xt = torch.zeros(1, 1, 64)
    state = [None]

    def step():
        with torch.no_grad():
            _, state[0] = lstm(xt, state[0])

    return step


def workloads(threads, timing):
    def show(name, value, unit):
        print(f"{name} threads={threads} {value:.2f} {unit}", flush=True)

    b, t = 32, 50
    for name, cls in (("W1", torch.nn.LSTM), ("W2", torch.nn.GRU), ("W3", torch.nn.RNN)):
        step = train_step(cls(64, 128, batch_first=True), b, t, 64, 128)
        show(name, b / median_seconds(step, *timing), "sequences/s")
    step = train_step(torch.nn.LSTM(256, 512, batch_first=True), 64, 100, 256, 512)
    show("W4", 64 / median_seconds(step, *timing), "sequences/s")

    show("W5", 1e6 * median_seconds(streaming_lstm_step(), *timing), "us/step")
    # W5's floor, not a workload: OpenBLAS's own product of the step's 1024 gate rows by [x h], the
    # 1.31 MB of weights a step must read, without the cell, the state or nn.LSTM's overhead
    print(f"floor W5 threads={threads} {1e6 * matvec_seconds(1024, 320, timing):.2f} us/step", flush=True)

    bi = torch.nn.LSTM(64, 128, batch_first=True, bidirectional=True)
    x6 = torch.randn(b, t, 64)

    def bi_infer():
        with torch.no_grad():
            bi(x6)

    show("W6", b / median_seconds(bi_infer, *timing), "sequences/s")

    mha = torch.nn.MultiheadAttention(128, 4, batch_first=True)
    x7 = torch.randn(32, 64, 128, requires_grad=True)
    dy7 = torch.randn(32, 64, 128)

    def attention_step():
        mha.zero_grad()
        x7.grad = None
        y, _ = mha(x7, x7, x7, need_weights=False)
        y.backward(dy7)

    show("W7", 32 / median_seconds(attention_step, *timing), "sequences/s")

    for n in (512, 1024):
        a = torch.randn(n, n)
        bm = torch.randn(n, n)
        c = torch.empty(n, n)
        s = median_seconds(lambda: torch.mm(a, bm, out=c), *timing)
        show(f"W8-{n}", 2.0 * n ** 3 / s / 1e9, "GFLOP/s")


def scale():
    cases = [(32, 25, 128), (32, 50, 128), (32, 100, 128), (32, 200, 128), (32, 400, 128),
             (1, 50, 128), (8, 50, 128), (64, 50, 128), (128, 50, 128), (256, 50, 128),
             (32, 50, 32), (32, 50, 256), (32, 50, 512), (32, 50, 1024)]
    median_seconds(train_step(torch.nn.LSTM(64, 128, batch_first=True), 32, 50, 64, 128), 3, 1, 0.01)
    for b, t, h in cases:
        step = train_step(torch.nn.LSTM(64, h, batch_first=True), b, t, 64, h)
        s = median_seconds(step, 0.5, 3, 0.2)
        print(f"scale B={b} T={t} H={h} {s * 1e3:.3f} ms/step", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--scale", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    if args.scale:
        scale()
    else:
        workloads(args.threads, (0.3, 3, 0.1) if args.quick else (1.5, 7, 0.4))


if __name__ == "__main__":
    main()
