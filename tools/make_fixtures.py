#!/usr/bin/python3
"""Generates the PyTorch reference fixtures under src/test/resources/fixtures.

Run from the repository root:   /usr/bin/python3 tools/make_fixtures.py
(needs Debian's PyTorch: apt-get install -y python3-torch libopenblas0-pthread)

Every case draws random weights and inputs, rounds them to float32, then runs the forward and
autograd backward in float64 with torch's own modules, and saves everything as float32:
inputs, weights, outputs, an upstream gradient and every gradient. The Java tests read these
files and never need Python.

The safetensors files are written by write_safetensors below, independently of the Java writer,
so reading them also tests the Java reader against a second implementation of the format.
"""
import json
import math
import os
import struct
import sys

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "fixtures")

DTYPES = {
    torch.float32: ("F32", 4),
    torch.float64: ("F64", 8),
    torch.float16: ("F16", 2),
    torch.bfloat16: ("BF16", 2),
}


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: tensor} in insertion order; little-endian, data 8-byte aligned."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    chunks = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        dtype, size = DTYPES[t.dtype]
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype in (torch.float16, torch.bfloat16) \
            else t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        assert len(raw) == t.numel() * size
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    blob = json.dumps(header, separators=(",", ":")).encode("utf-8")
    blob += b" " * ((8 - len(blob) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for raw in chunks:
            f.write(raw)
    os.replace(tmp, path)


def f32(t):
    """Rounds to float32 and back to float64, so both sides start from identical values."""
    return t.to(torch.float32).to(torch.float64)


def linear_cases():
    out = {}
    gen = torch.Generator().manual_seed(20261127)
    cases = [
        ("rank2", 5, 3, (4, 5), True),
        ("rank3", 6, 4, (2, 3, 6), True),
        ("nobias", 7, 2, (3, 7), False),
        ("wide", 33, 19, (2, 5, 33), True),  # crosses SIMD widths and tails
    ]
    for name, fin, fout, shape, bias in cases:
        layer = torch.nn.Linear(fin, fout, bias=bias).double()
        with torch.no_grad():
            layer.weight.copy_(f32(torch.rand(fout, fin, generator=gen, dtype=torch.float64) * 2 - 1))
            if bias:
                layer.bias.copy_(f32(torch.rand(fout, generator=gen, dtype=torch.float64) * 2 - 1))
        x = f32(torch.randn(*shape, generator=gen, dtype=torch.float64)).requires_grad_(True)
        y = layer(x)
        dy = f32(torch.randn(*y.shape, generator=gen, dtype=torch.float64))
        y.backward(dy)
        out[f"{name}.weight"] = layer.weight
        if bias:
            out[f"{name}.bias"] = layer.bias
        out[f"{name}.input"] = x
        out[f"{name}.output"] = y
        out[f"{name}.grad_output"] = dy
        out[f"{name}.grad_input"] = x.grad
        out[f"{name}.grad_weight"] = layer.weight.grad
        if bias:
            out[f"{name}.grad_bias"] = layer.bias.grad
    return {k: v.detach().to(torch.float32) for k, v in out.items()}


def embedding_cases():
    out = {}
    gen = torch.Generator().manual_seed(5)
    cases = [
        ("plain", 10, 4, (3, 5), None),
        ("padded", 7, 6, (2, 8), 0),  # repeated ids, and a padding row that must get no gradient
    ]
    for name, count, dim, shape, padding in cases:
        layer = torch.nn.Embedding(count, dim, padding_idx=padding).double()
        with torch.no_grad():
            layer.weight.copy_(f32(torch.randn(count, dim, generator=gen, dtype=torch.float64)))
            if padding is not None:
                layer.weight[padding].zero_()
        ids = torch.randint(0, count, shape, generator=gen)
        ids.view(-1)[:3] = ids.view(-1)[3]  # force repeats
        y = layer(ids)
        dy = f32(torch.randn(*y.shape, generator=gen, dtype=torch.float64))
        y.backward(dy)
        out[f"{name}.weight"] = layer.weight
        out[f"{name}.ids"] = ids.to(torch.float64)  # small integers, exact in float32
        out[f"{name}.output"] = y
        out[f"{name}.grad_output"] = dy
        out[f"{name}.grad_weight"] = layer.weight.grad
    return {k: v.detach().to(torch.float32) for k, v in out.items()}


def run_torch_rnn(layer, lstm, x, state, lengths, gen):
    """Runs a batch-first torch.nn RNN, LSTM or GRU from state over x, through pack_padded_sequence
    when there are (unsorted) lengths, as PyTorch users do, then backward from sum(y * dY) +
    sum(h_n * dh_n) (+ sum(c_n * dc_n)) with random upstream gradients drawn from gen. Returns the
    output, the final state and those upstream gradients by their fixture names."""
    if lengths is None:
        y, final = layer(x, state)
    else:
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), batch_first=True,
                                                         enforce_sorted=False)
        packed_out, final = layer(packed, state)
        y, _ = torch.nn.utils.rnn.pad_packed_sequence(packed_out, batch_first=True, total_length=x.shape[1])
    hn, cn = final if lstm else (final, None)
    dy = f32(torch.randn(*y.shape, generator=gen, dtype=torch.float64))
    dhn = f32(torch.randn(*hn.shape, generator=gen, dtype=torch.float64))
    loss = (y * dy).sum() + (hn * dhn).sum()
    out = {"output": y, "h_n": hn, "grad_output": dy, "grad_h_n": dhn}
    if lstm:
        dcn = f32(torch.randn(*cn.shape, generator=gen, dtype=torch.float64))
        loss = loss + (cn * dcn).sum()
        out.update({"c_n": cn, "grad_c_n": dcn})
    loss.backward()
    return out


def recurrent_cases():
    """nn.RNN (tanh, relu), nn.LSTM and nn.GRU, batch first, with random initial states, with and
    without unsorted lengths (run through pack_padded_sequence as PyTorch users do), and every
    gradient of sum(out * dY) + sum(h_n * dh_n) (+ sum(c_n * dc_n))."""
    out = {}
    gen = torch.Generator().manual_seed(3)
    cases = [
        ("rnn_tanh", "rnn", {"nonlinearity": "tanh"}, 3, 5, 4, 6, [6, 2, 4, 1]),
        ("rnn_relu", "rnn", {"nonlinearity": "relu"}, 3, 5, 4, 6, None),
        ("lstm", "lstm", {}, 3, 5, 4, 6, None),
        ("lstm_lengths", "lstm", {}, 3, 5, 4, 6, [3, 6, 1, 5]),
        ("lstm_wide", "lstm", {}, 20, 17, 2, 9, [9, 4]),  # hidden not a multiple of any vector width
        ("gru", "gru", {}, 3, 5, 4, 6, None),
        ("gru_lengths", "gru", {}, 3, 5, 4, 6, [2, 6, 5, 1]),
        ("lstm_bidir", "lstm", {"bidirectional": True}, 3, 5, 4, 6, [3, 6, 1, 5]),
        ("gru_bidir", "gru", {"bidirectional": True}, 3, 4, 3, 5, None),
        ("rnn_bidir", "rnn", {"bidirectional": True}, 2, 3, 3, 4, [4, 2, 3]),
        ("lstm_2layers", "lstm", {"num_layers": 2}, 3, 5, 3, 6, [6, 2, 4]),
        ("lstm_proj", "lstm", {"proj_size": 3}, 3, 5, 4, 6, [3, 6, 1, 5]),
        ("gru_2layers_bidir", "gru", {"num_layers": 2, "bidirectional": True}, 3, 4, 3, 5, [5, 3, 1]),
        ("lstm_nobias_2layers_bidir", "lstm", {"bias": False, "num_layers": 2, "bidirectional": True}, 3, 5, 3, 6,
         [6, 2, 4]),
        ("gru_nobias", "gru", {"bias": False}, 3, 5, 4, 6, [2, 6, 5, 1]),
        ("rnn_relu_nobias_2layers", "rnn", {"bias": False, "num_layers": 2, "nonlinearity": "relu"}, 3, 5, 4, 6, None),
    ]
    for name, kind, options, inp, hid, batch, steps, lengths in cases:
        cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
        layer = cls(inp, hid, batch_first=True, **options).double()
        with torch.no_grad():
            for p in layer.parameters():
                p.copy_(f32(torch.rand(p.shape, generator=gen, dtype=torch.float64) - 0.5))
        x = f32(torch.randn(batch, steps, inp, generator=gen, dtype=torch.float64)).requires_grad_(True)
        rows = (2 if options.get("bidirectional") else 1) * options.get("num_layers", 1)
        h0 = f32(torch.randn(rows, batch, options.get("proj_size") or hid, generator=gen,
                             dtype=torch.float64) * 0.5).requires_grad_(True)
        c0 = f32(torch.randn(rows, batch, hid, generator=gen, dtype=torch.float64) * 0.5).requires_grad_(True)
        state = (h0, c0) if kind == "lstm" else h0
        for key, value in run_torch_rnn(layer, kind == "lstm", x, state, lengths, gen).items():
            out[f"{name}.{key}"] = value
        if kind == "lstm":
            out[f"{name}.c0"] = c0
            out[f"{name}.grad_c0"] = c0.grad
        out[f"{name}.input"] = x
        out[f"{name}.h0"] = h0
        out[f"{name}.grad_input"] = x.grad
        out[f"{name}.grad_h0"] = h0.grad
        if lengths is not None:
            out[f"{name}.lengths"] = torch.tensor(lengths, dtype=torch.float64)
        for pname, p in layer.named_parameters():
            out[f"{name}.{pname}"] = p
            out[f"{name}.grad_{pname}"] = p.grad
    return {k: v.detach().to(torch.float32) for k, v in out.items()}


def cell_cases():
    """nn.RNNCell, nn.LSTMCell and nn.GRUCell driven over several steps by a Python loop, with a
    loss on every step's new state, and every gradient: the inputs, the initial state, the weights."""
    out = {}
    gen = torch.Generator().manual_seed(4)
    cases = [("rnn_cell", torch.nn.RNNCell, 3, 5, 2, 4), ("lstm_cell", torch.nn.LSTMCell, 3, 5, 2, 4),
             ("gru_cell", torch.nn.GRUCell, 3, 5, 2, 4), ("lstm_cell_nobias", torch.nn.LSTMCell, 3, 5, 2, 4),
             ("gru_cell_nobias", torch.nn.GRUCell, 3, 5, 2, 4)]
    for name, cls, inp, hid, batch, steps in cases:
        cell = cls(inp, hid, bias="nobias" not in name).double()
        with torch.no_grad():
            for p in cell.parameters():
                p.copy_(f32(torch.rand(p.shape, generator=gen, dtype=torch.float64) - 0.5))
        lstm = cls is torch.nn.LSTMCell
        x = f32(torch.randn(steps, batch, inp, generator=gen, dtype=torch.float64)).requires_grad_(True)
        h0 = f32(torch.randn(batch, hid, generator=gen, dtype=torch.float64) * 0.5).requires_grad_(True)
        c0 = f32(torch.randn(batch, hid, generator=gen, dtype=torch.float64) * 0.5).requires_grad_(True)
        dh = f32(torch.randn(steps, batch, hid, generator=gen, dtype=torch.float64))
        dc = f32(torch.randn(steps, batch, hid, generator=gen, dtype=torch.float64))
        h, c = h0, c0
        hs, cs = [], []
        for t in range(steps):
            if lstm:
                h, c = cell(x[t], (h, c))
                cs.append(c)
            else:
                h = cell(x[t], h)
            hs.append(h)
        loss = (torch.stack(hs) * dh).sum()
        if lstm:
            loss = loss + (torch.stack(cs) * dc).sum()
            out[f"{name}.c0"] = c0
            out[f"{name}.c"] = torch.stack(cs)
            out[f"{name}.grad_c"] = dc
        loss.backward()
        if lstm:
            out[f"{name}.grad_c0"] = c0.grad
        out[f"{name}.input"] = x
        out[f"{name}.h0"] = h0
        out[f"{name}.h"] = torch.stack(hs)
        out[f"{name}.grad_h"] = dh
        out[f"{name}.grad_input"] = x.grad
        out[f"{name}.grad_h0"] = h0.grad
        for pname, p in cell.named_parameters():
            out[f"{name}.{pname}"] = p
            out[f"{name}.grad_{pname}"] = p.grad
    return {k: v.detach().to(torch.float32) for k, v in out.items()}


def record(out, name, params, **tensors):
    """Stores a case's tensors as name.key, and each parameter with its gradient as name.p and name.grad_p."""
    for key, value in tensors.items():
        if value is not None:
            out[f"{name}.{key}"] = value
    for pname, p in params.items():
        out[f"{name}.{pname}"] = p
        out[f"{name}.grad_{pname}"] = p.grad


JORDAN_ACTIVATIONS = {"identity": lambda v: v, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
                      "softmax": lambda v: torch.softmax(v, dim=-1)}


def jordan_forward(params, activation, x, y0, lengths):
    """The Jordan network in torch: h_t = tanh(W_ih x_t + b_ih + W_yh y_{t-1} + b_yh),
    y_t = act(W_hy h_t + b_hy); a row past its length keeps its y and outputs zeros. Returns the
    output (B, T, O) and the final y (B, O)."""
    act = JORDAN_ACTIVATIONS[activation.lower()]
    y = y0[0]
    outs = []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ params["weight_ih_l0"].T + params["bias_ih_l0"] + y @ params["weight_yh_l0"].T
                       + params["bias_yh_l0"])
        yt = act(h @ params["weight_hy_l0"].T + params["bias_hy_l0"])
        valid = (t < lengths).unsqueeze(1)
        y = torch.where(valid, yt, y)
        outs.append(torch.where(valid, yt, torch.zeros_like(yt)))
    return torch.stack(outs, dim=1), y


def jordan_cases():
    """The Jordan network written out in torch with autograd (PyTorch has no such module):
    h_t = tanh(W_ih x_t + b_ih + W_yh y_{t-1} + b_yh), y_t = act(W_hy h_t + b_hy), with lengths
    (a row past its length keeps its y and outputs zeros)."""
    out = {}
    gen = torch.Generator().manual_seed(6)
    cases = [("jordan_tanh", "tanh", 3, 5, 4, 3, 6, None), ("jordan_softmax", "softmax", 3, 5, 4, 3, 6, [6, 2, 4]),
             ("jordan_sigmoid", "sigmoid", 2, 4, 3, 2, 5, [3, 5]), ("jordan_identity", "identity", 2, 4, 3, 2, 5, None)]
    for name, act, inp, hid, outsz, batch, steps, lengths in cases:
        def param(*shape):
            return f32(torch.rand(*shape, generator=gen, dtype=torch.float64) - 0.5).requires_grad_(True)
        params = {"weight_ih_l0": param(hid, inp), "bias_ih_l0": param(hid), "weight_yh_l0": param(hid, outsz),
                  "bias_yh_l0": param(hid), "weight_hy_l0": param(outsz, hid), "bias_hy_l0": param(outsz)}
        x = f32(torch.randn(batch, steps, inp, generator=gen, dtype=torch.float64)).requires_grad_(True)
        y0 = f32(torch.rand(1, batch, outsz, generator=gen, dtype=torch.float64) * 0.5).requires_grad_(True)
        lens = torch.tensor(lengths if lengths is not None else [steps] * batch)
        output, y = jordan_forward(params, act, x, y0, lens)
        dy = f32(torch.randn(*output.shape, generator=gen, dtype=torch.float64))
        dyn = f32(torch.randn(1, batch, outsz, generator=gen, dtype=torch.float64))
        ((output * dy).sum() + (y.unsqueeze(0) * dyn).sum()).backward()
        record(out, name, params, input=x, y0=y0, output=output, y_n=y.unsqueeze(0), grad_output=dy, grad_y_n=dyn,
               grad_input=x.grad, grad_y0=y0.grad,
               lengths=torch.tensor(lengths, dtype=torch.float64) if lengths is not None else None)
    return {k: v.detach().to(torch.float32) for k, v in out.items()}


def gru_reset_before_cases():
    """The GRU of Cho et al. 2014 (Keras reset_after=False) written out in torch with autograd, in
    PyTorch's parameter layout: n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)."""
    out = {}
    gen = torch.Generator().manual_seed(8)
    for name, inp, hid, batch, steps, lengths in [("gru_reset_before", 3, 5, 3, 6, [6, 2, 4])]:
        def param(*shape):
            return f32(torch.rand(*shape, generator=gen, dtype=torch.float64) - 0.5).requires_grad_(True)
        params = {"weight_ih_l0": param(3 * hid, inp), "weight_hh_l0": param(3 * hid, hid),
                  "bias_ih_l0": param(3 * hid), "bias_hh_l0": param(3 * hid)}
        x = f32(torch.randn(batch, steps, inp, generator=gen, dtype=torch.float64)).requires_grad_(True)
        h0 = f32(torch.randn(1, batch, hid, generator=gen, dtype=torch.float64) * 0.5).requires_grad_(True)
        lens = torch.tensor(lengths)
        wi, wh, bi, bh = (params[k] for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"))
        h = h0[0]
        outs = []
        for t in range(steps):
            xi = x[:, t] @ wi.T + bi
            r = torch.sigmoid(xi[:, :hid] + h @ wh[:hid].T + bh[:hid])
            z = torch.sigmoid(xi[:, hid:2 * hid] + h @ wh[hid:2 * hid].T + bh[hid:2 * hid])
            n = torch.tanh(xi[:, 2 * hid:] + (r * h) @ wh[2 * hid:].T + bh[2 * hid:])
            hn = (1 - z) * n + z * h
            valid = (t < lens).unsqueeze(1)
            h = torch.where(valid, hn, h)
            outs.append(torch.where(valid, hn, torch.zeros_like(hn)))
        output = torch.stack(outs, dim=1)
        dy = f32(torch.randn(*output.shape, generator=gen, dtype=torch.float64))
        dhn = f32(torch.randn(1, batch, hid, generator=gen, dtype=torch.float64))
        ((output * dy).sum() + (h.unsqueeze(0) * dhn).sum()).backward()
        record(out, name, params, input=x, h0=h0, output=output, h_n=h.unsqueeze(0), grad_output=dy, grad_h_n=dhn,
               grad_input=x.grad, grad_h0=h0.grad, lengths=torch.tensor(lengths, dtype=torch.float64))
    return {k: v.detach().to(torch.float32) for k, v in out.items()}


def adam_cases():
    """torch.optim.Adam trajectories in float32: a parameter, five gradients, the parameter after each step."""
    out = {}
    gen = torch.Generator().manual_seed(9)
    cases = [("adam_default", {}), ("adam_amsgrad_decay", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
             ("adam_betas", {"lr": 0.05, "betas": (0.5, 0.9), "eps": 1e-6})]
    for name, options in cases:
        p = torch.nn.Parameter(torch.randn(4, 7, generator=gen))
        opt = torch.optim.Adam([p], **options)
        out[f"{name}.initial"] = p.detach().clone()
        grads, params = [], []
        for _ in range(5):
            g = torch.randn(4, 7, generator=gen) * 0.3
            p.grad = g.clone()
            opt.step()
            grads.append(g)
            params.append(p.detach().clone())
        out[f"{name}.grads"] = torch.stack(grads)
        out[f"{name}.params"] = torch.stack(params)
    return out


OPTIMIZER_CONFIGS = {
    "sgd": ("SGD", {"lr": 0.1}),
    "sgd_momentum_decay": ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    "sgd_nesterov": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    "adam": ("Adam", {"lr": 0.01}),
    "adam_amsgrad_decay": ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05}),
    "adamw": ("AdamW", {"lr": 0.01}),
    "adamw_amsgrad_decay": ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    "rmsprop": ("RMSprop", {"lr": 0.01}),
    "rmsprop_centered_momentum": ("RMSprop", {"lr": 0.01, "alpha": 0.9, "centered": True, "momentum": 0.9,
                                              "weight_decay": 0.01}),
    "adagrad": ("Adagrad", {"lr": 0.1}),
    "adagrad_decays": ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01,
                                   "initial_accumulator_value": 0.1}),
}


def optimizer_cases():
    """20 steps of each torch.optim configuration on a small model (Linear 4 -> 3, MSE on fixed
    data), in float32 as training runs: the weights and bias after every step."""
    gen = torch.Generator().manual_seed(10)
    x = torch.randn(8, 4, generator=gen)
    y = torch.randn(8, 3, generator=gen)
    w0 = torch.randn(3, 4, generator=gen) * 0.5
    b0 = torch.randn(3, generator=gen) * 0.1
    out = {"data.x": x, "data.y": y, "data.weight": w0, "data.bias": b0}
    for name, (cls, options) in OPTIMIZER_CONFIGS.items():
        layer = torch.nn.Linear(4, 3)
        with torch.no_grad():
            layer.weight.copy_(w0)
            layer.bias.copy_(b0)
        opt = getattr(torch.optim, cls)(layer.parameters(), **options)
        weights, biases = [], []
        for _ in range(20):
            opt.zero_grad()
            torch.nn.functional.mse_loss(layer(x), y).backward()
            opt.step()
            weights.append(layer.weight.detach().clone())
            biases.append(layer.bias.detach().clone())
        out[f"{name}.weights"] = torch.stack(weights)
        out[f"{name}.biases"] = torch.stack(biases)
    return out


def loss_cases():
    """Every loss's value and gradient in float64, stored as float32."""
    out = {}
    gen = torch.Generator().manual_seed(11)
    f = torch.nn.functional
    logits = f32(torch.randn(6, 5, generator=gen, dtype=torch.float64) * 3).requires_grad_(True)
    targets = torch.tensor([0, 4, 2, 2, 1, 3])
    cases = [("ce_mean", {}, targets), ("ce_sum", {"reduction": "sum"}, targets),
             ("ce_ignore_smooth", {"ignore_index": 2, "label_smoothing": 0.1}, targets)]
    for name, options, t in cases:
        logits.grad = None
        loss = f.cross_entropy(logits, t, **options)
        loss.backward()
        out[f"{name}.logits"] = logits.detach().clone()
        out[f"{name}.targets"] = t.to(torch.float64)
        out[f"{name}.loss"] = loss.detach().reshape(1)
        out[f"{name}.grad"] = logits.grad.clone()
    # per step [B, T, C] with lengths: torch has no lengths, so positions past a length are ignored
    seq = f32(torch.randn(3, 4, 5, generator=gen, dtype=torch.float64)).requires_grad_(True)
    seq_targets = torch.randint(0, 5, (3, 4), generator=gen)
    lengths = [4, 1, 3]
    masked = seq_targets.clone()
    for b, n in enumerate(lengths):
        masked[b, n:] = -100
    loss = f.cross_entropy(seq.reshape(-1, 5), masked.reshape(-1), label_smoothing=0.05)
    loss.backward()
    out["ce_steps.logits"] = seq.detach()
    out["ce_steps.targets"] = seq_targets.to(torch.float64)
    out["ce_steps.lengths"] = torch.tensor(lengths, dtype=torch.float64)
    out["ce_steps.loss"] = loss.detach().reshape(1)
    out["ce_steps.grad"] = seq.grad
    # binary cross-entropy from logits, including logits far out
    bl = f32(torch.tensor([[-30.0, -2.0, 0.0, 1.5], [4.0, 50.0, -0.3, 8.0]], dtype=torch.float64)).requires_grad_(True)
    by = torch.tensor([[0.0, 1.0, 0.5, 1.0], [0.0, 1.0, 0.2, 0.0]], dtype=torch.float64)
    loss = f.binary_cross_entropy_with_logits(bl, by)
    loss.backward()
    out["bce.logits"] = bl.detach()
    out["bce.targets"] = by
    out["bce.loss"] = loss.detach().reshape(1)
    out["bce.grad"] = bl.grad
    # clip_grad_norm_ over two parameters
    p1 = torch.nn.Parameter(torch.zeros(3, 2))
    p2 = torch.nn.Parameter(torch.zeros(4))
    p1.grad = torch.randn(3, 2, generator=gen)
    p2.grad = torch.randn(4, generator=gen)
    out["clip.grad1"] = p1.grad.clone()
    out["clip.grad2"] = p2.grad.clone()
    norm = torch.nn.utils.clip_grad_norm_([p1, p2], 0.5)
    out["clip.norm"] = norm.reshape(1)
    out["clip.clipped1"] = p1.grad
    out["clip.clipped2"] = p2.grad
    # class weights (PyTorch's weight=), alone and with ignore_index, label smoothing and sum
    class_weights = f32(torch.rand(5, generator=gen, dtype=torch.float64) * 2)
    out["ce_weights"] = class_weights
    weighted = [("ce_weighted", {}), ("ce_weighted_ignore_smooth", {"ignore_index": 2, "label_smoothing": 0.2}),
                ("ce_weighted_sum_smooth", {"reduction": "sum", "label_smoothing": 0.1})]
    for name, options in weighted:
        logits.grad = None
        loss = f.cross_entropy(logits, targets, weight=class_weights, **options)
        loss.backward()
        out[f"{name}.loss"] = loss.detach().reshape(1)
        out[f"{name}.grad"] = logits.grad.clone()
    # BCEWithLogits' pos_weight, one per class (the last dimension), mean and sum
    pos_weight = f32(torch.rand(4, generator=gen, dtype=torch.float64) * 3)
    out["bce_pos_weight"] = pos_weight
    for name, reduction in (("bce_pos_mean", "mean"), ("bce_pos_sum", "sum")):
        bl.grad = None
        loss = f.binary_cross_entropy_with_logits(bl, by, pos_weight=pos_weight, reduction=reduction)
        loss.backward()
        out[f"{name}.loss"] = loss.detach().reshape(1)
        out[f"{name}.grad"] = bl.grad.clone()
    return {k: v.detach().to(torch.float32) for k, v in out.items()}


def schedule_cases():
    """Learning rates after each scheduler step: StepLR, ExponentialLR, LinearLR warm-up followed by
    CosineAnnealingLR (SequentialLR), and ReduceLROnPlateau on a fixed metric sequence."""
    def rates(make, steps, metrics=None):
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        scheduler = make(opt)
        out = [opt.param_groups[0]["lr"]]
        for i in range(steps):
            opt.step()
            scheduler.step(metrics[i]) if metrics is not None else scheduler.step()
            out.append(opt.param_groups[0]["lr"])
        return torch.tensor(out, dtype=torch.float64)
    s = torch.optim.lr_scheduler
    plateau_metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.7, 0.7, 0.7, 0.7]
    return {
        "step_lr": rates(lambda o: s.StepLR(o, step_size=3, gamma=0.5), 10),
        "exponential_lr": rates(lambda o: s.ExponentialLR(o, gamma=0.9), 10),
        "cosine_warmup": rates(lambda o: s.SequentialLR(o, [s.LinearLR(o, start_factor=0.1, total_iters=5),
                                                            s.CosineAnnealingLR(o, T_max=15, eta_min=0.001)],
                                                        milestones=[5]), 20),
        "plateau": rates(lambda o: s.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=2, cooldown=1), 16,
                         plateau_metrics),
        "plateau_metrics": torch.tensor(plateau_metrics, dtype=torch.float64),
    }


def attention_cases():
    """nn.MultiheadAttention(batch_first=True): self and cross attention, key padding by lengths, a
    causal mask, 1, 2 and 4 heads. Outputs and weights of padded queries are zeroed (recurrent4j's
    convention) and get no upstream gradient."""
    out = {}
    gen = torch.Generator().manual_seed(12)
    cases = [("self_1head", 8, 1, 2, 5, 5, None, False), ("self_2heads_padding", 8, 2, 3, 6, 6, [6, 3, 4], False),
             ("self_4heads_causal", 8, 4, 2, 5, 5, [5, 4], True), ("cross_2heads", 8, 2, 2, 3, 6, [6, 2], False)]
    for name, e, h, b, tq, tk, lengths, causal in cases:
        mha = torch.nn.MultiheadAttention(e, h, batch_first=True).double()
        with torch.no_grad():
            for p in mha.parameters():
                p.copy_(f32(torch.rand(p.shape, generator=gen, dtype=torch.float64) - 0.5))
        selfish = name.startswith("self")
        q = f32(torch.randn(b, tq, e, generator=gen, dtype=torch.float64)).requires_grad_(True)
        k = q if selfish else f32(torch.randn(b, tk, e, generator=gen, dtype=torch.float64)).requires_grad_(True)
        v = q if selfish else f32(torch.randn(b, tk, e, generator=gen, dtype=torch.float64)).requires_grad_(True)
        key_lengths = lengths if lengths is not None else [tk] * b
        query_lengths = key_lengths if selfish else [tq] * b
        pad = torch.tensor([[j >= n for j in range(tk)] for n in key_lengths])
        mask = torch.triu(torch.ones(tq, tk, dtype=torch.bool), diagonal=1) if causal else None
        y, w = mha(q, k, v, key_padding_mask=pad, attn_mask=mask, need_weights=True, average_attn_weights=False)
        qmask = torch.tensor([[i < n for i in range(tq)] for n in query_lengths], dtype=torch.float64)
        y = y * qmask.unsqueeze(2)
        w = w * qmask.unsqueeze(1).unsqueeze(3)
        dy = f32(torch.randn(b, tq, e, generator=gen, dtype=torch.float64)) * qmask.unsqueeze(2)
        (y * dy).sum().backward()
        out[f"{name}.query"] = q
        out[f"{name}.key"] = k
        out[f"{name}.value"] = v
        out[f"{name}.key_lengths"] = torch.tensor(key_lengths, dtype=torch.float64)
        out[f"{name}.query_lengths"] = torch.tensor(query_lengths, dtype=torch.float64)
        out[f"{name}.output"] = y
        out[f"{name}.weights"] = w
        out[f"{name}.grad_output"] = dy
        out[f"{name}.grad_query"] = q.grad
        if not selfish:
            out[f"{name}.grad_key"] = k.grad
            out[f"{name}.grad_value"] = v.grad
        for pname, p in mha.named_parameters():
            out[f"{name}.{pname}"] = p
            out[f"{name}.grad_{pname}"] = p.grad
    return {k: v.detach().to(torch.float32) for k, v in out.items()}


def attention_score_cases():
    """The four scores of recurrent4j's Attention written out in torch: dot, general (q^T W k),
    additive (v^T tanh(W_q q + W_k k)) and scaled dot-product, with padded keys. The loss is
    sum(context * grad_context) + sum(weights * grad_weights)."""
    out = {}
    gen = torch.Generator().manual_seed(13)
    b, tq, tk, dq, dk, dv, hidden = 2, 3, 5, 4, 3, 2, 5
    lengths = [5, 3]
    for name in ["dot", "general", "additive", "scaled_dot"]:
        kdim = dq if name in ("dot", "scaled_dot") else dk
        q = f32(torch.randn(b, tq, dq, generator=gen, dtype=torch.float64)).requires_grad_(True)
        k = f32(torch.randn(b, tk, kdim, generator=gen, dtype=torch.float64)).requires_grad_(True)
        v = f32(torch.randn(b, tk, dv, generator=gen, dtype=torch.float64)).requires_grad_(True)
        params = {}
        if name == "general":
            params["weight"] = f32(torch.randn(dq, dk, generator=gen, dtype=torch.float64) * 0.5)
        if name == "additive":
            params["query_weight"] = f32(torch.randn(hidden, dq, generator=gen, dtype=torch.float64) * 0.5)
            params["key_weight"] = f32(torch.randn(hidden, dk, generator=gen, dtype=torch.float64) * 0.5)
            params["v"] = f32(torch.randn(hidden, generator=gen, dtype=torch.float64))
        for p in params.values():
            p.requires_grad_(True)
        if name == "dot":
            scores = q @ k.transpose(1, 2)
        elif name == "scaled_dot":
            scores = q @ k.transpose(1, 2) / math.sqrt(kdim)
        elif name == "general":
            scores = q @ params["weight"] @ k.transpose(1, 2)
        else:
            pq = q @ params["query_weight"].T
            pk = k @ params["key_weight"].T
            scores = torch.tanh(pq.unsqueeze(2) + pk.unsqueeze(1)) @ params["v"]
        pad = torch.tensor([[j >= n for j in range(tk)] for n in lengths]).unsqueeze(1)
        weights = torch.softmax(scores.masked_fill(pad, float("-inf")), dim=-1)
        context = weights @ v
        gc = f32(torch.randn(b, tq, dv, generator=gen, dtype=torch.float64))
        gw = f32(torch.randn(b, tq, tk, generator=gen, dtype=torch.float64))
        ((context * gc).sum() + (weights * gw).sum()).backward()
        out.update({f"{name}.query": q, f"{name}.keys": k, f"{name}.values": v, f"{name}.context": context,
                    f"{name}.weights": weights, f"{name}.grad_context": gc, f"{name}.grad_weights": gw,
                    f"{name}.grad_query": q.grad, f"{name}.grad_keys": k.grad, f"{name}.grad_values": v.grad,
                    f"{name}.key_lengths": torch.tensor(lengths, dtype=torch.float64)})
        for pname, p in params.items():
            out[f"{name}.{pname}"] = p
            out[f"{name}.grad_{pname}"] = p.grad
    return {key: val.detach().to(torch.float32) for key, val in out.items()}


def dtype_cases():
    """The same values in every dtype the Java reader converts, including the edge values of each."""
    values = torch.tensor([0.0, -0.0, 1.0, -2.5, 0.125, 65504.0, 2.0 ** -24, 2.0 ** -14, float("inf"),
                           float("-inf"), 3.0, 1024.0], dtype=torch.float64)
    out = {
        "f32": values.to(torch.float32).reshape(3, 4),
        "f64": values.reshape(3, 4),
        "f16": values.to(torch.float16).reshape(3, 4),
        "bf16": torch.tensor([0.0, -0.0, 1.0, -2.5, 0.125, 65536.0, 2.0 ** -100, 3.0e38, float("inf"),
                              float("-inf"), 3.0, 1024.0], dtype=torch.float64).to(torch.bfloat16).reshape(2, 6),
        "bf16_as_f32": torch.tensor([0.0, -0.0, 1.0, -2.5, 0.125, 65536.0, 2.0 ** -100, 3.0e38, float("inf"),
                                     float("-inf"), 3.0, 1024.0]).to(torch.bfloat16).to(torch.float32).reshape(2, 6),
        "nan_f16": torch.tensor([float("nan")], dtype=torch.float16),
        "scalar": torch.tensor(7.0, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
    }
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    meta = {"generator": "tools/make_fixtures.py", "torch": torch.__version__}
    write_safetensors(os.path.join(OUT, "linear.safetensors"), linear_cases(), meta)
    write_safetensors(os.path.join(OUT, "embedding.safetensors"), embedding_cases(), meta)
    write_safetensors(os.path.join(OUT, "recurrent.safetensors"), recurrent_cases(), meta)
    write_safetensors(os.path.join(OUT, "cells.safetensors"), cell_cases(), meta)
    write_safetensors(os.path.join(OUT, "jordan.safetensors"), jordan_cases(), meta)
    write_safetensors(os.path.join(OUT, "gru_reset_before.safetensors"), gru_reset_before_cases(), meta)
    write_safetensors(os.path.join(OUT, "adam.safetensors"), adam_cases(), meta)
    write_safetensors(os.path.join(OUT, "optimizers.safetensors"), optimizer_cases(), meta)
    write_safetensors(os.path.join(OUT, "losses.safetensors"), loss_cases(), meta)
    write_safetensors(os.path.join(OUT, "schedules.safetensors"), schedule_cases(), meta)
    write_safetensors(os.path.join(OUT, "attention.safetensors"), attention_cases(), meta)
    write_safetensors(os.path.join(OUT, "attention_scores.safetensors"), attention_score_cases(), meta)
    write_safetensors(os.path.join(OUT, "dtypes.safetensors"), dtype_cases(),
                      {"format": "pt", "note": "written by the Python side, \u00e9\u4e2d"})
    print("wrote fixtures to", os.path.normpath(OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
