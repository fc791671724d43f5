#!/usr/bin/env python3
"""The PyTorch side of the interop round trip, with the char-level model of the `chars` demo.

The Java class io.github.recurrent4j.examples.CharModel and the module below have the same
state-dict names (embedding.weight, lstm.weight_ih_l0, ..., head.weight, head.bias), and a saved
file carries the alphabet as the metadata key "alphabet".

PyTorch to Java:
    /usr/bin/python3 tools/interop.py torch-to-java
  trains the model in PyTorch on the start of the demo's text and writes
  src/test/resources/fixtures/interop/torch-char-lstm.safetensors (the weights) and
  torch-char-lstm.probe.safetensors (probe ids and PyTorch's logits on them). InteropTest loads the
  weights in Java and asserts the same logits and the same most likely next characters.

Java to PyTorch:
    mvn -q compile exec:exec -Ddemo.args="chars --quick"
    /usr/bin/python3 tools/interop.py java-to-torch target/demo-chars
  loads the model the Java demo trained and saved, runs PyTorch on the demo's probe ids and
  compares with the logits Java wrote beside it; it exits 1 if they differ by more than 1e-4.
"""
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import write_safetensors  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
TEXT = os.path.join(ROOT, "src", "main", "resources", "io", "github", "recurrent4j", "examples", "genesis-kjv.txt")
OUT = os.path.join(ROOT, "src", "test", "resources", "fixtures", "interop")


class CharModel(torch.nn.Module):
    def __init__(self, alphabet, embedding_size, hidden_size):
        super().__init__()
        self.alphabet = alphabet
        self.embedding = torch.nn.Embedding(len(alphabet), embedding_size)
        self.lstm = torch.nn.LSTM(embedding_size, hidden_size, batch_first=True)
        self.head = torch.nn.Linear(hidden_size, len(alphabet))

    def forward(self, ids, state=None):
        out, state = self.lstm(self.embedding(ids), state)
        return self.head(out), state


def read_safetensors(path):
    """The F32 tensors and the metadata of a file (what the Java side writes)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", f"{path}: {name} is {entry['dtype']}, expected F32"
        start, end = entry["data_offsets"]
        flat = torch.frombuffer(bytearray(data[base + start:base + end]), dtype=torch.float32)
        tensors[name] = flat.reshape(entry["shape"])
    return tensors, metadata


def torch_to_java():
    torch.manual_seed(1611)
    torch.set_num_threads(1)
    with open(TEXT, encoding="utf-8") as f:
        text = f.read()
    alphabet = "".join(sorted(set(text)))
    ids = torch.tensor([alphabet.index(c) for c in text])
    train, probe = ids[:40000], ids[-200:]
    model = CharModel(alphabet, 16, 64)
    adam = torch.optim.Adam(model.parameters(), lr=0.01)
    batch, window = 16, 48
    for step in range(150):
        starts = torch.randint(0, len(train) - window - 1, (batch,))
        x = torch.stack([train[s:s + window] for s in starts])
        y = torch.stack([train[s + 1:s + window + 1] for s in starts])
        logits, _ = model(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, len(alphabet)), y.reshape(-1))
        adam.zero_grad()
        loss.backward()
        adam.step()
    print(f"PyTorch training loss after 150 steps: {loss.item() / 0.6931471805599453:.3f} bits/char",
          file=sys.stderr)
    os.makedirs(OUT, exist_ok=True)
    meta = {"alphabet": alphabet, "generator": "tools/interop.py torch-to-java", "torch": torch.__version__}
    write_safetensors(os.path.join(OUT, "torch-char-lstm.safetensors"), model.state_dict(), meta)
    with torch.no_grad():
        logits, _ = model(probe.unsqueeze(0))
    write_safetensors(os.path.join(OUT, "torch-char-lstm.probe.safetensors"),
                      {"ids": probe.to(torch.float32), "logits": logits[0]}, meta)
    print("wrote", os.path.normpath(OUT), file=sys.stderr)


def java_to_torch(directory):
    weights, metadata = read_safetensors(os.path.join(directory, "char-lstm.safetensors"))
    probe, _ = read_safetensors(os.path.join(directory, "char-lstm.probe.safetensors"))
    model = CharModel(metadata["alphabet"], weights["embedding.weight"].shape[1],
                      weights["lstm.weight_hh_l0"].shape[1])
    model.load_state_dict(weights, strict=True)
    ids = probe["ids"].to(torch.long).unsqueeze(0)
    with torch.no_grad():
        logits, _ = model(ids)
    diff = (logits[0] - probe["logits"]).abs().max().item()
    same_argmax = bool((logits[0].argmax(-1) == probe["logits"].argmax(-1)).all())
    print(f"PyTorch on the Java model: max |logit difference| = {diff:.3g} over {ids.shape[1]} positions, "
          f"same most likely next character everywhere: {same_argmax}")
    return 0 if diff <= 1e-4 and same_argmax else 1


def main(argv):
    if len(argv) == 2 and argv[1] == "torch-to-java":
        torch_to_java()
        return 0
    if len(argv) == 3 and argv[1] == "java-to-torch":
        return java_to_torch(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
