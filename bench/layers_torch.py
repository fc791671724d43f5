"""torch.nn counterparts of LayerBenchmark, printed in the same format: layer NAME threads VALUE UNIT.

Run by bench/layers with OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and OMP_WAIT_POLICY=PASSIVE set.
"""
import argparse

import torch

from compare_torch import streaming_lstm_step
from timing import median_seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    timing = (0.3, 3, 0.1) if args.quick else (2, 7, 0.5)
    batch, steps, inp, hid = 32, 50, 64, 128
    for kind, cls in (("SimpleRnn", torch.nn.RNN), ("Lstm", torch.nn.LSTM), ("Gru", torch.nn.GRU)):
        layer = cls(inp, hid, batch_first=True)
        x = torch.randn(batch, steps, inp)
        dy = torch.randn(batch, steps, hid)

        def train_step():
            layer.zero_grad()
            y, _ = layer(x)
            y.backward(dy)

        seconds = median_seconds(train_step, *timing)
        print(f"layer {kind}-fwd+bwd-B{batch}-T{steps}-I{inp}-H{hid} {args.threads} {batch / seconds:.1f} sequences/s")
    seconds = median_seconds(streaming_lstm_step(), *timing)
    print(f"layer Lstm-stream-step-I64-H256 {args.threads} {seconds * 1e6:.2f} us/step")


if __name__ == "__main__":
    main()
