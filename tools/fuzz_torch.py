#!/usr/bin/python3
"""Random recurrent layers and attention against PyTorch: writes one safetensors file per case
for TorchFuzzCheck (src/test/java/.../check/TorchFuzzCheck.java) to compare with. Run by
tools/fuzz-pytorch. Shapes are drawn log-uniform from 1 upwards, so both tiny and vector-wide sizes
come up, and every output and gradient is computed in float64 from float32-rounded values.

- 45%: nn.RNN (tanh, relu), nn.LSTM (sometimes projected) and nn.GRU: 1-3 layers, one or two
  directions, sometimes without biases, sometimes unsorted lengths (packed as PyTorch users do),
  sometimes a random initial state; PyTorch's own initialisation.
- 20%: what torch.nn has no module for, written out step by step in torch: peephole LSTMs (identity
  activation, projection, no biases) and the reset-before GRU.
- 20%: nn.MultiheadAttention, self or cross, 1 to 8 heads, key padding by lengths, sometimes causal.
- 15%: the Jordan network (each output activation) and Attention's four scores, written out in torch.

    /usr/bin/python3 tools/fuzz_torch.py --cases 40 --seed 1 --out /tmp/fuzz
"""
import argparse
import math
import os
import random
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import f32, jordan_forward, run_torch_rnn, write_safetensors  # noqa: E402


def finish(out, named_parameters):
    """Adds each parameter and its gradient (param.<name>, grad.<name>) and returns all as float32."""
    for name, p in named_parameters:
        out["param." + name] = p
        out["grad." + name] = p.grad
    return {k: v.detach().to(torch.float32) for k, v in out.items()}


# A ReLU's gradient is 0 or 1 by the sign of its input. When a pre-activation lies within float32's
# rounding of 0 (seed 11 drew one of 6.8e-7 among sums up to 15), float32 arithmetic, ours or
# PyTorch's, may land on either side, and the gradients behind it differ by whole terms: the case
# then tests the rounding, not the layer. Such inputs are drawn again.
RELU_MARGIN = 1e-5
RELU_REDRAWS = 20


def relu_margin(layer, x, h0, lengths):
    """The smallest |pre-activation| of a ReLU nn.RNN over x (the steps each row runs), relative to
    the largest: recomputed layer by layer and direction by direction in float64."""
    with torch.no_grad():
        b, t = x.shape[0], x.shape[1]
        length = torch.tensor(lengths if lengths is not None else [t] * b)
        dirs = 2 if layer.bidirectional else 1
        inp, smallest, largest = x, math.inf, 0.0
        for level in range(layer.num_layers):
            outs = []
            for d in range(dirs):
                suffix = f"l{level}" + ("_reverse" if d else "")
                w_ih, w_hh = getattr(layer, "weight_ih_" + suffix), getattr(layer, "weight_hh_" + suffix)
                bias = getattr(layer, "bias_ih_" + suffix) + getattr(layer, "bias_hh_" + suffix) if layer.bias else 0
                h = h0[level * dirs + d] if h0 is not None else torch.zeros(b, layer.hidden_size, dtype=x.dtype)
                out = torch.zeros(b, t, layer.hidden_size, dtype=x.dtype)
                for step in (reversed(range(t)) if d else range(t)):
                    pre = inp[:, step] @ w_ih.T + h @ w_hh.T + bias
                    active = step < length
                    if active.any():
                        smallest = min(smallest, pre[active].abs().min().item())
                        largest = max(largest, pre[active].abs().max().item())
                    h = torch.where(active[:, None], torch.relu(pre), h)
                    out[:, step] = h
                outs.append(out)
            inp = torch.cat(outs, dim=2)
        return smallest / largest if largest > 0 else math.inf


def log_uniform(rnd, low, high):
    return int(round(math.exp(rnd.uniform(math.log(low), math.log(high)))))


def draw(rnd):
    kind = rnd.choice(["rnn_tanh", "rnn_relu", "lstm", "lstm", "gru", "gru"])
    scale = 3 if rnd.random() < 0.2 else 1  # now and then sizes where the blocked GEMM and the threads take over
    case = {
        "kind": kind,
        "layers": rnd.choice([1, 1, 1, 2, 3]),
        "bidirectional": rnd.random() < 0.4,
        "input": log_uniform(rnd, 1, 200 * scale),
        "hidden": log_uniform(rnd, 1, 300 * scale),
        "batch": log_uniform(rnd, 1, 40 * scale),
        "steps": log_uniform(rnd, 1, 40 * scale),
        "proj": 0,
        "bias": rnd.random() < 0.8,
    }
    if kind == "lstm" and case["hidden"] > 1 and rnd.random() < 0.3:
        case["proj"] = rnd.randint(1, case["hidden"] - 1)
    case["lengths"] = None if rnd.random() < 0.5 else [rnd.randint(1, case["steps"]) for _ in range(case["batch"])]
    case["initial"] = rnd.random() < 0.7
    return case


def draw_attention(rnd):
    heads = rnd.choice([1, 2, 4, 8])
    case = {"kind": "mha", "heads": heads, "embed": heads * log_uniform(rnd, 1, 40), "batch": log_uniform(rnd, 1, 40),
            "self": rnd.random() < 0.6, "causal": rnd.random() < 0.3}
    case["query_steps"] = log_uniform(rnd, 1, 80)
    case["key_steps"] = case["query_steps"] if case["self"] else log_uniform(rnd, 1, 80)
    padded = rnd.random() < 0.5
    case["key_lengths"] = [rnd.randint(1, case["key_steps"]) if padded else case["key_steps"]
                           for _ in range(case["batch"])]
    case["query_lengths"] = case["key_lengths"] if case["self"] else [
        rnd.randint(1, case["query_steps"]) if rnd.random() < 0.5 else case["query_steps"] for _ in range(case["batch"])]
    return case


def run_attention(case, gen):
    """nn.MultiheadAttention(batch_first=True), key padding by lengths, maybe causal; outputs of
    padded queries zeroed (recurrent4j's convention), so they get no gradient."""
    e, b, tq, tk = case["embed"], case["batch"], case["query_steps"], case["key_steps"]
    mha = torch.nn.MultiheadAttention(e, case["heads"], batch_first=True).double()
    with torch.no_grad():
        for p in mha.parameters():
            p.copy_(f32(torch.rand(p.shape, generator=gen, dtype=torch.float64) - 0.5))
    q = f32(torch.randn(b, tq, e, generator=gen, dtype=torch.float64)).requires_grad_(True)
    k = q if case["self"] else f32(torch.randn(b, tk, e, generator=gen, dtype=torch.float64)).requires_grad_(True)
    v = q if case["self"] else f32(torch.randn(b, tk, e, generator=gen, dtype=torch.float64)).requires_grad_(True)
    pad = torch.tensor([[j >= n for j in range(tk)] for n in case["key_lengths"]])
    mask = torch.triu(torch.ones(tq, tk, dtype=torch.bool), diagonal=1) if case["causal"] else None
    y, w = mha(q, k, v, key_padding_mask=pad, attn_mask=mask, need_weights=True, average_attn_weights=False)
    qmask = torch.tensor([[i < n for i in range(tq)] for n in case["query_lengths"]], dtype=torch.float64)
    y = y * qmask.unsqueeze(2)
    w = w * qmask.unsqueeze(1).unsqueeze(3)
    dy = f32(torch.randn(b, tq, e, generator=gen, dtype=torch.float64)) * qmask.unsqueeze(2)
    (y * dy).sum().backward()
    out = {"query": q, "key": k, "value": v, "output": y, "weights": w, "grad_output": dy, "grad_query": q.grad,
           "key_lengths": torch.tensor(case["key_lengths"], dtype=torch.float64),
           "query_lengths": torch.tensor(case["query_lengths"], dtype=torch.float64)}
    if not case["self"]:
        out.update({"grad_key": k.grad, "grad_value": v.grad})
    return finish(out, mha.named_parameters())


def draw_custom(rnd):
    """The options PyTorch has no module for, against cells written out in torch below."""
    case = {"kind": rnd.choice(["lstm_custom", "gru_reset_before"]), "layers": 1, "bidirectional": False,
            "input": log_uniform(rnd, 1, 200), "hidden": log_uniform(rnd, 1, 300), "batch": log_uniform(rnd, 1, 20),
            "steps": log_uniform(rnd, 1, 30), "proj": 0, "bias": rnd.random() < 0.8, "peepholes": False,
            "activation": "TANH"}
    if case["kind"] == "lstm_custom":
        case["peepholes"] = rnd.random() < 0.7
        case["activation"] = rnd.choice(["TANH", "IDENTITY"])
        if case["hidden"] > 1 and rnd.random() < 0.3:
            case["proj"] = rnd.randint(1, case["hidden"] - 1)
    case["lengths"] = None if rnd.random() < 0.5 else [rnd.randint(1, case["steps"]) for _ in range(case["batch"])]
    case["initial"] = rnd.random() < 0.7
    return case


def run_custom(case, gen):
    """Peephole LSTMs (identity activation, projection) and the reset-before GRU, step by step in
    float64 torch with autograd; steps past a row's length keep its state and output zeros."""
    lstm = case["kind"] == "lstm_custom"
    i, h, b, t, proj = case["input"], case["hidden"], case["batch"], case["steps"], case["proj"]
    out_w = proj or h
    g = 4 if lstm else 3
    bound = 1 / math.sqrt(h)

    def param(*shape):
        return f32((torch.rand(*shape, generator=gen, dtype=torch.float64) * 2 - 1) * bound).requires_grad_(True)

    params = {"weight_ih_l0": param(g * h, i), "weight_hh_l0": param(g * h, out_w)}
    if case["bias"]:
        params.update({"bias_ih_l0": param(g * h), "bias_hh_l0": param(g * h)})
    if case["peepholes"]:
        params.update({"weight_ci_l0": param(h), "weight_cf_l0": param(h), "weight_co_l0": param(h)})
    if proj:
        params["weight_hr_l0"] = param(proj, h)
    x = f32(torch.randn(b, t, i, generator=gen, dtype=torch.float64)).requires_grad_(True)
    h0 = f32(0.5 * torch.randn(1, b, out_w, generator=gen, dtype=torch.float64)).requires_grad_(True)
    c0 = f32(0.5 * torch.randn(1, b, h, generator=gen, dtype=torch.float64)).requires_grad_(True)
    lengths = torch.tensor(case["lengths"] if case["lengths"] is not None else [t] * b)
    act = torch.tanh if case["activation"] == "TANH" else (lambda v: v)
    hs = h0[0] if case["initial"] else torch.zeros(b, out_w, dtype=torch.float64)
    cs = c0[0] if case["initial"] else torch.zeros(b, h, dtype=torch.float64)
    w_ih, w_hh = params["weight_ih_l0"], params["weight_hh_l0"]
    ys = []
    for s in range(t):
        live = (s < lengths).unsqueeze(1)
        xi = x[:, s] @ w_ih.T + (params["bias_ih_l0"] if case["bias"] else 0)
        if lstm:
            gates = xi + hs @ w_hh.T + (params["bias_hh_l0"] if case["bias"] else 0)
            gi, gf, gg, go = gates.chunk(4, 1)
            if case["peepholes"]:
                gi = gi + params["weight_ci_l0"] * cs
                gf = gf + params["weight_cf_l0"] * cs
            c_new = torch.sigmoid(gf) * cs + torch.sigmoid(gi) * act(gg)
            if case["peepholes"]:
                go = go + params["weight_co_l0"] * c_new
            h_new = torch.sigmoid(go) * act(c_new)
            if proj:
                h_new = h_new @ params["weight_hr_l0"].T
            cs = torch.where(live, c_new, cs)
        else:
            bh = params["bias_hh_l0"] if case["bias"] else torch.zeros(3 * h, dtype=torch.float64)
            xr, xz, xn = xi.chunk(3, 1)
            r = torch.sigmoid(xr + hs @ w_hh[:h].T + bh[:h])
            z = torch.sigmoid(xz + hs @ w_hh[h:2 * h].T + bh[h:2 * h])
            n = torch.tanh(xn + (r * hs) @ w_hh[2 * h:].T + bh[2 * h:])
            h_new = (1 - z) * n + z * hs
        hs = torch.where(live, h_new, hs)
        ys.append(torch.where(live, h_new, torch.zeros_like(h_new)))
    y = torch.stack(ys, 1)
    hn, cn = hs.unsqueeze(0), cs.unsqueeze(0)
    dy = f32(torch.randn(*y.shape, generator=gen, dtype=torch.float64))
    dhn = f32(torch.randn(*hn.shape, generator=gen, dtype=torch.float64))
    loss = (y * dy).sum() + (hn * dhn).sum()
    out = {}
    if lstm:
        dcn = f32(torch.randn(*cn.shape, generator=gen, dtype=torch.float64))
        loss = loss + (cn * dcn).sum()
        out["c_n"], out["grad_c_n"] = cn, dcn
    loss.backward()
    out.update({"input": x, "output": y, "h_n": hn, "grad_output": dy, "grad_h_n": dhn, "grad_input": x.grad})
    if case["initial"]:
        out.update({"h0": h0, "grad_h0": h0.grad})
        if lstm:
            out.update({"c0": c0, "grad_c0": c0.grad})
    if case["lengths"] is not None:
        out["lengths"] = lengths.to(torch.float64)
    return finish(out, params.items())


def draw_other(rnd):
    """The Jordan network and the Luong/Bahdanau attention scores, also written out in torch."""
    if rnd.random() < 0.5:
        case = {"kind": "jordan", "activation": rnd.choice(["IDENTITY", "TANH", "SIGMOID", "SOFTMAX"]),
                "input": log_uniform(rnd, 1, 100), "hidden": log_uniform(rnd, 1, 200),
                "output": log_uniform(rnd, 1, 60), "batch": log_uniform(rnd, 1, 20), "steps": log_uniform(rnd, 1, 30)}
        case["lengths"] = None if rnd.random() < 0.5 else [rnd.randint(1, case["steps"]) for _ in range(case["batch"])]
        return case
    case = {"kind": "attention", "score": rnd.choice(["DOT", "GENERAL", "ADDITIVE", "SCALED_DOT"]),
            "query_dim": log_uniform(rnd, 1, 150), "key_dim": log_uniform(rnd, 1, 150),
            "value_dim": log_uniform(rnd, 1, 150), "hidden": log_uniform(rnd, 1, 100), "batch": log_uniform(rnd, 1, 16),
            "query_steps": log_uniform(rnd, 1, 40), "key_steps": log_uniform(rnd, 1, 60)}
    if case["score"] in ("DOT", "SCALED_DOT"):
        case["key_dim"] = case["query_dim"]
    case["key_lengths"] = [rnd.randint(1, case["key_steps"]) if rnd.random() < 0.5 else case["key_steps"]
                           for _ in range(case["batch"])]
    return case


def run_jordan(case, gen):
    """The Jordan network (make_fixtures.jordan_forward) with PyTorch-style initialisation."""
    i, h, o, b, t = case["input"], case["hidden"], case["output"], case["batch"], case["steps"]

    def param(*shape):
        return f32((torch.rand(*shape, generator=gen, dtype=torch.float64) * 2 - 1) / math.sqrt(h)).requires_grad_(True)

    params = {"weight_ih_l0": param(h, i), "bias_ih_l0": param(h), "weight_yh_l0": param(h, o),
              "bias_yh_l0": param(h), "weight_hy_l0": param(o, h), "bias_hy_l0": param(o)}
    x = f32(torch.randn(b, t, i, generator=gen, dtype=torch.float64)).requires_grad_(True)
    y0 = f32(torch.rand(1, b, o, generator=gen, dtype=torch.float64) * 0.5).requires_grad_(True)
    lens = torch.tensor(case["lengths"] if case["lengths"] is not None else [t] * b)
    output, y = jordan_forward(params, case["activation"], x, y0, lens)
    dy = f32(torch.randn(*output.shape, generator=gen, dtype=torch.float64))
    dyn = f32(torch.randn(1, b, o, generator=gen, dtype=torch.float64))
    ((output * dy).sum() + (y.unsqueeze(0) * dyn).sum()).backward()
    out = {"input": x, "h0": y0, "output": output, "h_n": y.unsqueeze(0), "grad_output": dy, "grad_h_n": dyn,
           "grad_input": x.grad, "grad_h0": y0.grad}
    if case["lengths"] is not None:
        out["lengths"] = lens.to(torch.float64)
    return finish(out, params.items())


def run_scores(case, gen):
    """recurrent4j's Attention: dot, general (q^T W k), additive (v^T tanh(W_q q + W_k k)) and scaled
    dot, padded keys masked; loss sum(context * gc) + sum(weights * gw)."""
    b, tq, tk = case["batch"], case["query_steps"], case["key_steps"]
    dq, dk, dv, hidden = case["query_dim"], case["key_dim"], case["value_dim"], case["hidden"]
    q = f32(torch.randn(b, tq, dq, generator=gen, dtype=torch.float64)).requires_grad_(True)
    k = f32(torch.randn(b, tk, dk, generator=gen, dtype=torch.float64)).requires_grad_(True)
    v = f32(torch.randn(b, tk, dv, generator=gen, dtype=torch.float64)).requires_grad_(True)
    params = {}
    if case["score"] == "GENERAL":
        params["weight"] = f32(torch.randn(dq, dk, generator=gen, dtype=torch.float64) / math.sqrt(dq * dk))
    if case["score"] == "ADDITIVE":
        params["query_weight"] = f32(torch.randn(hidden, dq, generator=gen, dtype=torch.float64) / math.sqrt(dq))
        params["key_weight"] = f32(torch.randn(hidden, dk, generator=gen, dtype=torch.float64) / math.sqrt(dk))
        params["v"] = f32(torch.randn(hidden, generator=gen, dtype=torch.float64) / math.sqrt(hidden))
    for p in params.values():
        p.requires_grad_(True)
    if case["score"] == "DOT":
        scores = q @ k.transpose(1, 2)
    elif case["score"] == "SCALED_DOT":
        scores = q @ k.transpose(1, 2) / math.sqrt(dk)
    elif case["score"] == "GENERAL":
        scores = q @ params["weight"] @ k.transpose(1, 2)
    else:
        scores = torch.tanh((q @ params["query_weight"].T).unsqueeze(2) + (k @ params["key_weight"].T).unsqueeze(1)) \
            @ params["v"]
    pad = torch.tensor([[j >= n for j in range(tk)] for n in case["key_lengths"]]).unsqueeze(1)
    weights = torch.softmax(scores.masked_fill(pad, float("-inf")), dim=-1)
    context = weights @ v
    gc = f32(torch.randn(b, tq, dv, generator=gen, dtype=torch.float64))
    gw = f32(torch.randn(b, tq, tk, generator=gen, dtype=torch.float64))
    ((context * gc).sum() + (weights * gw).sum()).backward()
    out = {"query": q, "keys": k, "values": v, "context": context, "weights": weights, "grad_context": gc,
           "grad_weights": gw, "grad_query": q.grad, "grad_keys": k.grad, "grad_values": v.grad,
           "key_lengths": torch.tensor(case["key_lengths"], dtype=torch.float64)}
    return finish(out, params.items())


def run(case, gen):
    kind = case["kind"]
    if kind == "jordan":
        return run_jordan(case, gen)
    if kind == "attention":
        return run_scores(case, gen)
    if kind == "mha":
        return run_attention(case, gen)
    if kind in ("lstm_custom", "gru_reset_before"):
        return run_custom(case, gen)
    cls = {"rnn_tanh": torch.nn.RNN, "rnn_relu": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    options = {"num_layers": case["layers"], "bidirectional": case["bidirectional"], "bias": case["bias"]}
    if kind.startswith("rnn"):
        options["nonlinearity"] = kind[4:]
    if case["proj"]:
        options["proj_size"] = case["proj"]
    layer = cls(case["input"], case["hidden"], batch_first=True, **options)
    layer = layer.double()
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(f32(p))
    b, t = case["batch"], case["steps"]
    rows = (2 if case["bidirectional"] else 1) * case["layers"]
    for _ in range(RELU_REDRAWS):
        x = f32(torch.randn(b, t, case["input"], generator=gen, dtype=torch.float64)).requires_grad_(True)
        state = None
        if case["initial"]:
            h0 = f32(0.5 * torch.randn(rows, b, case["proj"] or case["hidden"], generator=gen,
                                       dtype=torch.float64)).requires_grad_(True)
            c0 = f32(0.5 * torch.randn(rows, b, case["hidden"], generator=gen,
                                       dtype=torch.float64)).requires_grad_(True)
            state = (h0, c0) if kind == "lstm" else h0
        if kind != "rnn_relu" or relu_margin(layer, x, state, case["lengths"]) > RELU_MARGIN:
            break
    out = run_torch_rnn(layer, kind == "lstm", x, state, case["lengths"], gen)
    out.update({"input": x, "grad_input": x.grad})
    if state is not None:
        out.update({"h0": h0, "grad_h0": h0.grad})
        if kind == "lstm":
            out.update({"c0": c0, "grad_c0": c0.grad})
    if case["lengths"] is not None:
        out["lengths"] = torch.tensor(case["lengths"], dtype=torch.float64)
    return finish(out, layer.named_parameters())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rnd = random.Random(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    torch.manual_seed(args.seed)
    for i in range(args.cases):
        pick = rnd.random()
        case = draw_attention(rnd) if pick < 0.2 else draw_custom(rnd) if pick < 0.4 \
            else draw_other(rnd) if pick < 0.55 else draw(rnd)
        metadata = {k: str(v) for k, v in case.items() if "lengths" not in k}
        write_safetensors(os.path.join(args.out, f"case{i:03d}.safetensors"), run(case, gen), metadata)
    print(f"wrote {args.cases} cases to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
