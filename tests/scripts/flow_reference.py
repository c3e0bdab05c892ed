#!/usr/bin/python3
"""The control-flow, recurrent and attention operators against NumPy.

The conformance suite runs only a few attribute combinations of these
operators (forward LSTMs with default activations, opset-23 Attention...).
This script builds one-node models for the others with onnx.helper, computes
the expected outputs with reference implementations written here in NumPy
(float64, straight from the ONNX equations), runs `onnxfold run` on them and
compares: RNN/GRU/LSTM (directions, sequence_lens, initial states, peepholes,
clip, input_forget, linear_before_reset, activations with alpha/beta, layout
1, float64/float16, opset 7), Attention (opset 24 nonpad_kv_seqlen with a
bottom-right causal mask, opset 25 sliding windows, bool masks with fully
masked rows, past with causal, qk_matmul_output modes, double),
RotaryEmbedding (3-D/4-D, interleaved, partial rotation), Scan 8 (batch,
sequence_lens, reverse) and Scan 9+ (axes and directions), Loop (no
iteration, condition from the body, outer-scope reads, nested If returning an
outer value, nested Loops, --max-iterations), If with branches of different
shapes.

Run: /usr/bin/python3 tests/scripts/flow_reference.py  (ONNXFOLD=path/to/onnxfold)
Prints `N passed, N failed`; exits non-zero on any failure.
"""

import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ONNXFOLD = os.environ.get("ONNXFOLD", "onnxfold")
if os.environ.get("WORK"):
    os.makedirs(os.environ["WORK"], exist_ok=True)
WORK = tempfile.mkdtemp(prefix="flow_ref_", dir=os.environ.get("WORK"))
passed = 0
failed = 0
NP2ONNX = {np.float32: TensorProto.FLOAT, np.float64: TensorProto.DOUBLE,
           np.float16: TensorProto.FLOAT16, np.int64: TensorProto.INT64,
           np.int32: TensorProto.INT32, np.bool_: TensorProto.BOOL}


def report(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL %s %s" % (name, detail))


def vi(name, arr):
    return helper.make_tensor_value_info(name, NP2ONNX[arr.dtype.type], list(arr.shape))


def run_model(name, graph, inputs, opset, extra_args=()):
    """Saves graph, feeds inputs (name -> array), returns (rc, outputs, stderr)."""
    d = os.path.join(WORK, name)
    os.makedirs(d, exist_ok=True)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    path = os.path.join(d, "model.onnx")
    onnx.save(model, path)
    args = [ONNXFOLD, "run", path, "--output-dir", os.path.join(d, "out"), "--npy"]
    for k, v in inputs.items():
        f = os.path.join(d, k + ".npy")
        np.save(f, v)
        args += ["--input", "%s=%s" % (k, f)]
    p = subprocess.run(args + list(extra_args), capture_output=True, text=True)
    outs = []
    for i in range(len(graph.output)):
        f = os.path.join(d, "out", "output_%d.npy" % i)
        outs.append(np.load(f) if os.path.exists(f) else None)
    return p.returncode, outs, p.stderr


def check_node(name, op, inputs, attrs, expected, opset, out_names=None, rtol=1e-4,
               atol=1e-5, extra_nodes=(), input_order=None):
    """One node `op` over `inputs` (ordered dict name -> array or None for
    absent); expected: list of arrays (None: output absent)."""
    in_names = [k if v is not None else "" for k, v in inputs.items()]
    out_names = out_names or ["out%d" % i if e is not None else "" for i, e in
                              enumerate(expected)]
    node = helper.make_node(op, in_names, out_names, **attrs)
    g_in = [vi(k, v) for k, v in inputs.items() if v is not None]
    g_out = [helper.make_tensor_value_info(n, NP2ONNX[e.dtype.type], None)
             for n, e in zip(out_names, expected) if e is not None]
    graph = helper.make_graph([node], name, g_in, g_out)
    rc, outs, err = run_model(name, graph, {k: v for k, v in inputs.items() if v is not None},
                              opset)
    if rc != 0:
        report(name, False, err.strip())
        return
    want = [e for e in expected if e is not None]
    for i, (o, e) in enumerate(zip(outs, want)):
        if o is None or o.shape != e.shape or o.dtype != e.dtype:
            report(name, False, "output %d: got %s %s, want %s %s" % (
                i, None if o is None else o.dtype, None if o is None else o.shape, e.dtype,
                e.shape))
            return
        ok = np.allclose(o.astype(np.float64), e.astype(np.float64), rtol=rtol, atol=atol,
                         equal_nan=True)
        if not ok:
            report(name, False, "output %d differs by %g" % (
                i, np.nanmax(np.abs(o.astype(np.float64) - e.astype(np.float64)))))
            return
    report(name, True)


# ---- recurrent layers ------------------------------------------------------------------------

ACT_DEFAULTS = {"relu": (0, 0), "tanh": (0, 0), "sigmoid": (0, 0), "affine": (1.0, 0.0),
                "leakyrelu": (0.01, 0), "thresholdedrelu": (1.0, 0), "scaledtanh": (1.0, 1.0),
                "hardsigmoid": (0.2, 0.5), "elu": (1.0, 0), "softsign": (0, 0),
                "softplus": (0, 0)}
USES_ALPHA = {"affine", "leakyrelu", "thresholdedrelu", "scaledtanh", "hardsigmoid", "elu"}
USES_BETA = {"affine", "scaledtanh", "hardsigmoid"}


def act_fn(name, alpha, beta):
    n = name.lower()
    return {
        "relu": lambda x: np.maximum(x, 0),
        "tanh": np.tanh,
        "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
        "affine": lambda x: alpha * x + beta,
        "leakyrelu": lambda x: np.where(x >= 0, x, alpha * x),
        "thresholdedrelu": lambda x: np.where(x >= alpha, x, 0),
        "scaledtanh": lambda x: alpha * np.tanh(beta * x),
        "hardsigmoid": lambda x: np.clip(alpha * x + beta, 0, 1),
        "elu": lambda x: np.where(x >= 0, x, alpha * (np.exp(x) - 1)),
        "softsign": lambda x: x / (1 + np.abs(x)),
        "softplus": lambda x: np.log1p(np.exp(x)),
    }[n]


def make_acts(kind, ndir, names, alphas, betas):
    per = {"RNN": 1, "GRU": 2, "LSTM": 3}[kind]
    names = names or {"RNN": ["Tanh"], "GRU": ["Sigmoid", "Tanh"],
                      "LSTM": ["Sigmoid", "Tanh", "Tanh"]}[kind]
    alphas, betas = list(alphas or []), list(betas or [])
    fns = []
    for n in names:
        a, b = ACT_DEFAULTS[n.lower()]
        if n.lower() in USES_ALPHA and alphas:
            a = alphas.pop(0)
        if n.lower() in USES_BETA and betas:
            b = betas.pop(0)
        fns.append(act_fn(n, a, b))
    if len(fns) == per:  # one direction's list serves both
        fns = fns * ndir
    return [fns[d * per:(d + 1) * per] for d in range(ndir)]


def rnn_ref(kind, X, W, R, B=None, lens=None, h0=None, c0=None, P=None, direction="forward",
            acts=None, alphas=None, betas=None, clip=None, lbr=0, input_forget=0, layout=0):
    X, W, R = (a.astype(np.float64) for a in (X, W, R))
    if layout:
        X = X.transpose(1, 0, 2)
        h0 = None if h0 is None else h0.transpose(1, 0, 2)
        c0 = None if c0 is None else c0.transpose(1, 0, 2)
    T, Bn, _ = X.shape
    ndir = 2 if direction == "bidirectional" else 1
    H = R.shape[2]
    G = {"RNN": 1, "GRU": 3, "LSTM": 4}[kind]
    fns = make_acts(kind, ndir, acts, alphas, betas)
    lens = np.full(Bn, T) if lens is None else lens
    Y = np.zeros((T, ndir, Bn, H))
    Yh = np.zeros((ndir, Bn, H))
    Yc = np.zeros((ndir, Bn, H))
    cl = (lambda x: np.clip(x, -clip, clip)) if clip is not None else (lambda x: x)
    for d in range(ndir):
        rev = direction == "reverse" or d == 1
        w, r = W[d], R[d]
        wb = B[d][:G * H].astype(np.float64) if B is not None else np.zeros(G * H)
        rb = B[d][G * H:].astype(np.float64) if B is not None else np.zeros(G * H)
        p = P[d].astype(np.float64) if P is not None else np.zeros(3 * H)
        f = fns[d]
        for b in range(Bn):
            h = h0[d, b].astype(np.float64) if h0 is not None else np.zeros(H)
            c = c0[d, b].astype(np.float64) if c0 is not None else np.zeros(H)
            L = lens[b]
            for s in range(L):
                t = L - 1 - s if rev else s
                x = X[t, b]
                if kind == "RNN":
                    h = f[0](cl(x @ w.T + h @ r.T + wb + rb))
                elif kind == "GRU":
                    gx = x @ w.T + wb
                    z = f[0](cl(gx[:H] + h @ r[:H].T + rb[:H]))
                    rr = f[0](cl(gx[H:2 * H] + h @ r[H:2 * H].T + rb[H:2 * H]))
                    if lbr:
                        hh = f[1](cl(gx[2 * H:] + rr * (h @ r[2 * H:].T + rb[2 * H:])))
                    else:
                        hh = f[1](cl(gx[2 * H:] + (rr * h) @ r[2 * H:].T + rb[2 * H:]))
                    h = (1 - z) * hh + z * h
                else:
                    g = x @ w.T + h @ r.T + wb + rb
                    i = f[0](cl(g[:H] + p[:H] * c))
                    fg = 1 - i if input_forget else f[0](cl(g[2 * H:3 * H] + p[2 * H:] * c))
                    cc = f[1](cl(g[3 * H:]))
                    c = fg * c + i * cc
                    o = f[0](cl(g[H:2 * H] + p[H:2 * H] * c))
                    h = o * f[2](c)
                Y[t, d, b] = h
            Yh[d, b] = h
            Yc[d, b] = c
    if layout:
        Y = Y.transpose(2, 0, 1, 3)
        Yh = Yh.transpose(1, 0, 2)
        Yc = Yc.transpose(1, 0, 2)
    return Y, Yh, Yc


def rnn_case(name, kind, T=4, Bn=3, I=2, H=3, direction="forward", bias=True, lens=None,
             init=True, peep=False, dtype=np.float32, opset=14, layout=0, rtol=1e-4, atol=1e-5,
             **kw):
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    ndir = 2 if direction == "bidirectional" else 1
    G = {"RNN": 1, "GRU": 3, "LSTM": 4}[kind]
    xs = (Bn, T, I) if layout else (T, Bn, I)
    X = rng.standard_normal(xs).astype(dtype)
    W = (rng.standard_normal((ndir, G * H, I)) * 0.5).astype(dtype)
    R = (rng.standard_normal((ndir, G * H, H)) * 0.5).astype(dtype)
    B = (rng.standard_normal((ndir, 2 * G * H)) * 0.3).astype(dtype) if bias else None
    hs = (Bn, ndir, H) if layout else (ndir, Bn, H)
    h0 = rng.standard_normal(hs).astype(dtype) if init else None
    c0 = rng.standard_normal(hs).astype(dtype) if init and kind == "LSTM" else None
    P = (rng.standard_normal((ndir, 3 * H)) * 0.5).astype(dtype) if peep else None
    L = np.array(lens, dtype=np.int32) if lens is not None else None
    attrs = {"hidden_size": H, "direction": direction}
    if layout:
        attrs["layout"] = layout
    ref_kw = {}
    for k in ("acts", "alphas", "betas", "clip", "lbr", "input_forget"):
        if k in kw:
            ref_kw[k] = kw[k]
    if "acts" in kw:
        attrs["activations"] = kw["acts"]
    if "alphas" in kw:
        attrs["activation_alpha"] = kw["alphas"]
    if "betas" in kw:
        attrs["activation_beta"] = kw["betas"]
    if "clip" in kw:
        attrs["clip"] = kw["clip"]
    if "lbr" in kw:
        attrs["linear_before_reset"] = kw["lbr"]
    if "input_forget" in kw:
        attrs["input_forget"] = kw["input_forget"]
    Y, Yh, Yc = rnn_ref(kind, X, W, R, B, L, h0, c0, P, direction, layout=layout, **ref_kw)
    inputs = {"X": X, "W": W, "R": R, "B": B, "sequence_lens": L, "initial_h": h0}
    if kind == "LSTM":
        inputs.update({"initial_c": c0, "P": P})
    while list(inputs.values())[-1] is None:
        inputs.popitem()
    expected = [Y.astype(dtype), Yh.astype(dtype)] + ([Yc.astype(dtype)] if kind == "LSTM" else [])
    check_node(name, kind, inputs, attrs, expected, opset, rtol=rtol, atol=atol)


def recurrent_cases():
    for kind in ("RNN", "GRU", "LSTM"):
        k = kind.lower()
        rnn_case(k + "_forward", kind)
        rnn_case(k + "_reverse_lens", kind, direction="reverse", lens=[4, 2, 0])
        rnn_case(k + "_bidi_lens", kind, direction="bidirectional", lens=[1, 4, 3])
        rnn_case(k + "_layout1_bidi", kind, direction="bidirectional", layout=1, lens=[3, 4, 2])
        rnn_case(k + "_no_bias_no_init", kind, bias=False, init=False)
        rnn_case(k + "_double", kind, dtype=np.float64, direction="bidirectional", rtol=1e-10,
                 atol=1e-12)
        rnn_case(k + "_half", kind, dtype=np.float16, rtol=2e-3, atol=2e-3)
        rnn_case(k + "_opset7_clip", kind, opset=7, clip=0.7)
    rnn_case("rnn_relu_affine_bidi", "RNN", direction="bidirectional", acts=["Relu", "Affine"],
             alphas=[0.5], betas=[0.25])
    rnn_case("gru_lbr", "GRU", lbr=1, direction="bidirectional", lens=[2, 4, 1])
    rnn_case("gru_lbr_opset3", "GRU", lbr=1, opset=3)
    rnn_case("gru_acts", "GRU", acts=["HardSigmoid", "ScaledTanh"], alphas=[0.3, 0.8],
             betas=[0.4, 1.5])
    rnn_case("lstm_peephole_bidi", "LSTM", peep=True, direction="bidirectional", lens=[4, 3, 2])
    rnn_case("lstm_input_forget_clip", "LSTM", input_forget=1, clip=0.5, peep=True)
    rnn_case("lstm_acts", "LSTM", acts=["LeakyRelu", "Elu", "Softsign"], alphas=[0.2, 0.7])
    rnn_case("lstm_acts_one_list_bidi", "LSTM", direction="bidirectional",
             acts=["Sigmoid", "Softplus", "ThresholdedRelu"], alphas=[0.1])


# ---- attention ------------------------------------------------------------------------------


def attention_ref(Q, K, V, mask=None, past_k=None, past_v=None, nonpad=None, scale=None,
                  causal=0, qh=None, kvh=None, softcap=0.0, mode=0, left=-1, right=-1):
    Q, K, V = (a.astype(np.float64) for a in (Q, K, V))
    three = Q.ndim == 3
    if three:
        Bn, Sq, _ = Q.shape
        Q = Q.reshape(Bn, Sq, qh, -1).transpose(0, 2, 1, 3)
        K = K.reshape(Bn, K.shape[1], kvh, -1).transpose(0, 2, 1, 3)
        V = V.reshape(Bn, V.shape[1], kvh, -1).transpose(0, 2, 1, 3)
    if past_k is not None:
        K = np.concatenate([past_k.astype(np.float64), K], axis=2)
        V = np.concatenate([past_v.astype(np.float64), V], axis=2)
    Bn, Hq, Sq, D = Q.shape
    Hk, T = K.shape[1], K.shape[2]
    scale = 1 / np.sqrt(D) if scale is None else scale
    rep = Hq // Hk
    K = np.repeat(K, rep, axis=1)
    V = np.repeat(V, rep, axis=1)
    S = scale * Q @ K.transpose(0, 1, 3, 2)
    raw = S.copy()
    if softcap > 0:
        S = softcap * np.tanh(S / softcap)
    capped = S.copy()
    bias = np.zeros((Bn, Hq, Sq, T))
    if mask is not None:
        m = mask
        if m.shape[-1] < T:
            pad = [(0, 0)] * (m.ndim - 1) + [(0, T - m.shape[-1])]
            m = np.pad(m, pad, constant_values=False if m.dtype == np.bool_ else -np.inf)
        if m.dtype == np.bool_:
            m = np.where(m, 0.0, -np.inf)
        bias = bias + m.astype(np.float64)
    off = np.zeros(Bn, dtype=np.int64)
    if past_k is not None:
        off[:] = past_k.shape[2]
    elif nonpad is not None:
        off = nonpad - Sq
    i = np.arange(Sq)[:, None]
    j = np.arange(T)[None, :]
    for b in range(Bn):
        allowed = np.ones((Sq, T), bool)
        if causal:
            allowed &= j <= i + off[b]
        if left >= 0:
            allowed &= j >= i + off[b] - left
        if right >= 0:
            allowed &= j <= i + off[b] + right
        if nonpad is not None:
            allowed &= j < nonpad[b]
        bias[b] = np.where(allowed, bias[b], -np.inf)
    S = S + bias
    with_bias = S.copy()
    masked = np.all(bias == -np.inf, axis=-1, keepdims=True)
    mx = np.max(np.where(masked, 0, S), axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):  # fully masked rows: 0/0, then replaced by 0
        e = np.exp(S - mx)
        P = np.where(masked, 0, e / np.sum(e, axis=-1, keepdims=True))
    Y = P @ V
    if three:
        Y = Y.transpose(0, 2, 1, 3).reshape(Bn, Sq, -1)
    qk = [raw, capped, with_bias, P][mode]
    return Y, K[:, ::rep] if past_k is not None else None, qk


def attention_cases():
    rng = np.random.default_rng(7)

    def r(*s, dt=np.float32):
        return rng.standard_normal(s).astype(dt)

    # opset 24: nonpad_kv_seqlen with a bottom-right causal mask (offset = nonpad - q_seq,
    # negative for batch entry 1: its leading rows are fully masked and give zeros)
    Q, K, V = r(2, 2, 3, 4), r(2, 2, 6, 4), r(2, 2, 6, 5)
    nonpad = np.array([5, 2], np.int64)
    Y, _, _ = attention_ref(Q, K, V, nonpad=nonpad, causal=1)
    check_node("attention24_nonpad_causal", "Attention",
               {"Q": Q, "K": K, "V": V, "attn_mask": None, "past_key": None, "past_value": None,
                "nonpad_kv_seqlen": nonpad}, {"is_causal": 1}, [Y.astype(np.float32)], 24)
    # opset 25: sliding windows, with and without causal, 3-D GQA
    Q, K, V = r(1, 5, 8), r(1, 7, 4), r(1, 7, 6)
    for left, right, causal in ((2, 1, 0), (1, -1, 1), (-1, 0, 0), (0, 0, 0)):
        Y, _, _ = attention_ref(Q, K, V, causal=causal, qh=2, kvh=1, left=left, right=right)
        check_node("attention25_window_%d_%d_%d" % (left, right, causal), "Attention",
                   {"Q": Q, "K": K, "V": V},
                   {"is_causal": causal, "q_num_heads": 2, "kv_num_heads": 1,
                    "left_window_size": left, "right_window_size": right},
                   [Y.astype(np.float32)], 25)
    # a bool mask with a fully masked row, modes 2 and 3, a past cache with causal
    Q, K, V = r(1, 2, 3, 4), r(1, 2, 2, 4), r(1, 2, 2, 4)
    pk, pv = r(1, 2, 3, 4), r(1, 2, 3, 4)
    mask = np.array([[True, True, False, True, True], [False] * 5, [True] * 4 + [False]])
    for mode in (0, 1, 2, 3):
        Y, present, qk = attention_ref(Q, K, V, mask=mask, past_k=pk, past_v=pv, causal=1,
                                       softcap=1.5, mode=mode)
        check_node("attention_bool_mask_past_causal_mode%d" % mode, "Attention",
                   {"Q": Q, "K": K, "V": V, "attn_mask": mask, "past_key": pk, "past_value": pv},
                   {"is_causal": 1, "softcap": 1.5, "qk_matmul_output_mode": mode},
                   [Y.astype(np.float32), np.concatenate([pk, K], 2),
                    np.concatenate([pv, V], 2), qk.astype(np.float32)], 23)
    # a float mask shorter than the total length (padded with -inf), broadcast over heads
    Q, K, V = r(2, 3, 2, 4), r(2, 3, 5, 4), r(2, 3, 5, 3)
    fmask = r(2, 1, 2, 3)
    Y, _, _ = attention_ref(Q, K, V, mask=fmask, scale=0.3)
    check_node("attention_short_float_mask", "Attention",
               {"Q": Q, "K": K, "V": V, "attn_mask": fmask}, {"scale": 0.3},
               [Y.astype(np.float32)], 23)
    # double
    Q, K, V = r(1, 4, 3, 2, dt=np.float64), r(1, 2, 3, 2, dt=np.float64), r(1, 2, 3, 2, dt=np.float64)
    Y, _, _ = attention_ref(Q, K, V, causal=1)
    check_node("attention_double_gqa", "Attention", {"Q": Q, "K": K, "V": V}, {"is_causal": 1},
               [Y], 23, rtol=1e-12, atol=1e-12)


def rope_ref(x, cos, sin, pos=None, interleaved=0, dim=0, heads=0):
    x = x.astype(np.float64)
    shape = x.shape
    if x.ndim == 4:
        x = x.transpose(0, 2, 1, 3)
    else:
        x = x.reshape(shape[0], shape[1], heads, -1)
    D = x.shape[3]
    dim = dim or D
    if pos is not None:
        cos, sin = cos[pos], sin[pos]
    cos, sin = cos[:, :, None, :], sin[:, :, None, :]
    xr, xp = x[..., :dim], x[..., dim:]
    if interleaved:
        x1, x2 = xr[..., 0::2], xr[..., 1::2]
    else:
        x1, x2 = xr[..., :dim // 2], xr[..., dim // 2:]
    re, im = cos * x1 - sin * x2, sin * x1 + cos * x2
    if interleaved:
        out = np.stack([re, im], -1).reshape(xr.shape)
    else:
        out = np.concatenate([re, im], -1)
    out = np.concatenate([out, xp], -1)
    return out.reshape(shape) if len(shape) == 3 else out.transpose(0, 2, 1, 3)


def rope_cases():
    rng = np.random.default_rng(3)
    for name, shape, heads, dim, inter, use_pos in (
            ("rope_4d_partial_interleaved", (2, 3, 4, 8), 0, 4, 1, True),
            ("rope_3d_partial", (2, 4, 12), 2, 4, 0, False),
            ("rope_3d_full_interleaved", (1, 3, 8), 1, 0, 1, True)):
        x = rng.standard_normal(shape).astype(np.float32)
        half = (dim or (shape[3] if len(shape) == 4 else shape[2] // heads)) // 2
        seq = shape[2] if len(shape) == 4 else shape[1]
        if use_pos:
            cos = rng.standard_normal((10, half)).astype(np.float32)
            sin = rng.standard_normal((10, half)).astype(np.float32)
            pos = rng.integers(0, 10, (shape[0], seq)).astype(np.int64)
        else:
            cos = rng.standard_normal((shape[0], seq, half)).astype(np.float32)
            sin = rng.standard_normal((shape[0], seq, half)).astype(np.float32)
            pos = None
        attrs = {"interleaved": inter}
        if heads:
            attrs["num_heads"] = heads
        if dim:
            attrs["rotary_embedding_dim"] = dim
        y = rope_ref(x, cos, sin, pos, inter, dim, heads)
        check_node(name, "RotaryEmbedding",
                   {"X": x, "cos_cache": cos, "sin_cache": sin, "position_ids": pos}, attrs,
                   [y.astype(np.float32)], 23)


# ---- control flow ---------------------------------------------------------------------------


def graph_case(name, nodes, inputs, outputs, expected, opset, inits=(), extra_args=(),
               expect_error=None):
    g = helper.make_graph(nodes, name, [vi(k, v) for k, v in inputs.items()],
                          [helper.make_tensor_value_info(n, NP2ONNX[e.dtype.type], None)
                           for n, e in zip(outputs, expected)], list(inits))
    rc, outs, err = run_model(name, g, inputs, opset, extra_args)
    if expect_error:
        report(name, rc == 2 and expect_error in err, "rc %d: %s" % (rc, err.strip()))
        return
    if rc != 0:
        report(name, False, err.strip())
        return
    for i, (o, e) in enumerate(zip(outs, expected)):
        if o is None or o.shape != e.shape or o.dtype != e.dtype or not np.allclose(o, e):
            report(name, False, "output %d: got %r, want %r" % (i, o, e))
            return
    report(name, True)


def const(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def scan_cases():
    # Scan 8: batch 2, max length 3, lengths [3, 1], one forward and one reverse input
    x = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    s0 = np.zeros((2, 2), np.float32)
    body = helper.make_graph(
        [helper.make_node("Add", ["s", "a"], ["s2"]), helper.make_node("Mul", ["s2", "b"], ["o"])],
        "body", [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2]) for n in "sab"],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2]) for n in ("s2", "o")])
    lens = np.array([3, 1], np.int64)
    st_ref = np.zeros((2, 2), np.float32)
    so_ref = np.zeros((2, 3, 2), np.float32)
    for b in range(2):
        s = s0[b].copy()
        for t in range(lens[b]):
            s = s + x[b, t]
            so_ref[b, t] = s * x[b, lens[b] - 1 - t]
        st_ref[b] = s
    node = helper.make_node("Scan", ["lens", "s0", "x", "x"], ["st", "so"], body=body,
                            num_scan_inputs=2, directions=[0, 1])
    graph_case("scan8_lens_reverse", [node], {"lens": lens, "s0": s0, "x": x}, ["st", "so"],
               [st_ref, so_ref], 8)
    # Scan 16: input axis 1 reversed, output stacked on axis 1 in reverse
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    body = helper.make_graph(
        [helper.make_node("Add", ["s", "a"], ["s2"]), helper.make_node("Mul", ["a", "a"], ["o"])],
        "body", [helper.make_tensor_value_info("s", TensorProto.FLOAT, [3]),
                 helper.make_tensor_value_info("a", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [3]) for n in ("s2", "o")])
    node = helper.make_node("Scan", ["s0", "x"], ["st", "so"], body=body, num_scan_inputs=1,
                            scan_input_axes=[1], scan_input_directions=[1],
                            scan_output_axes=[-1], scan_output_directions=[1])
    cols = [x[:, 3 - t] for t in range(4)]  # reverse input order
    so = np.stack([c * c for c in cols][::-1], axis=1)
    graph_case("scan16_axes_directions", [node], {"s0": np.zeros(3, np.float32), "x": x},
               ["st", "so"], [x.sum(axis=1), so], 16)


def loop_body(nodes, n_carried, carried_types, scan_types, inits=(), inputs_extra=()):
    ins = [helper.make_tensor_value_info("i", TensorProto.INT64, []),
           helper.make_tensor_value_info("c", TensorProto.BOOL, [])]
    ins += [helper.make_tensor_value_info("v%d" % k, t, s) for k, (t, s) in
            enumerate(carried_types)]
    outs = [helper.make_tensor_value_info("c_out", TensorProto.BOOL, [])]
    outs += [helper.make_tensor_value_info("v%d_out" % k, t, s) for k, (t, s) in
             enumerate(carried_types)]
    outs += [helper.make_tensor_value_info("s%d_out" % k, t, s) for k, (t, s) in
             enumerate(scan_types)]
    return helper.make_graph(nodes, "body", ins, outs, list(inits))


def loop_cases():
    F = TensorProto.FLOAT
    w = np.array([1, 2], np.float32)
    x0 = np.array([0.5, -1], np.float32)
    # M = 5, the body stops after iteration 3 (cond_out = i < 3); reads outer W and limit
    body = loop_body([helper.make_node("Add", ["v0", "W"], ["v0_out"]),
                      helper.make_node("Mul", ["v0_out", "v0_out"], ["s0_out"]),
                      helper.make_node("Less", ["i", "limit"], ["c_out"])],
                     1, [(F, [2])], [(F, [2])])
    node = helper.make_node("Loop", ["M", "cond", "x0"], ["x_final", "ys"], body=body)
    xs, x = [], x0.copy()
    for it in range(4):
        x = x + w
        xs.append(x * x)
    graph_case("loop_cond_from_body_outer_reads", [node], {"x0": x0}, ["x_final", "ys"],
               [x, np.stack(xs)], 13,
               inits=[const("M", np.int64(5)), const("cond", np.bool_(True)), const("W", w),
                      const("limit", np.int64(3))])
    # no iteration: carried value passes through, the scan output is [0, 2] from the body's type
    graph_case("loop_zero_iterations", [node], {"x0": x0}, ["x_final", "ys"],
               [x0, np.zeros((0, 2), np.float32)], 13,
               inits=[const("M", np.int64(0)), const("cond", np.bool_(True)), const("W", w),
                      const("limit", np.int64(3))])
    # without M and with the condition never false: refused by --max-iterations
    body2 = loop_body([helper.make_node("Add", ["v0", "W"], ["v0_out"]),
                       helper.make_node("Greater", ["i", "neg"], ["c_out"])], 1, [(F, [2])], [])
    node2 = helper.make_node("Loop", ["", "cond", "x0"], ["x_final"], body=body2)
    graph_case("loop_max_iterations", [node2], {"x0": x0}, ["x_final"], [x0], 13,
               inits=[const("cond", np.bool_(True)), const("W", w), const("neg", np.int64(-1))],
               extra_args=["--max-iterations", "7"], expect_error="Loop ran more than 7")
    # nested: an If inside the body returns an outer intermediate (h = X + X of the main
    # graph) directly, or the body's carried input directly; M only, cond absent
    then_g = helper.make_graph([], "then", [], [helper.make_tensor_value_info("h", F, [2])])
    else_g = helper.make_graph([], "else", [], [helper.make_tensor_value_info("v0", F, [2])])
    body3 = loop_body([helper.make_node("Greater", ["i", "one"], ["big"]),
                       helper.make_node("If", ["big"], ["picked"], then_branch=then_g,
                                        else_branch=else_g),
                       helper.make_node("Add", ["picked", "v0"], ["v0_out"]),
                       helper.make_node("Greater", ["i", "neg"], ["c_out"])],
                      1, [(F, [2])], [], inits=[const("one", np.int64(1))])
    node3 = helper.make_node("Loop", ["M", "", "x0"], ["x_final"], body=body3)
    add = helper.make_node("Add", ["x0", "x0"], ["h"])
    x, h = x0.copy(), x0 + x0
    for it in range(4):
        x = (h if it > 1 else x) + x
    graph_case("loop_if_returns_outer_values", [add, node3], {"x0": x0}, ["x_final"], [x], 13,
               inits=[const("M", np.int64(4)), const("neg", np.int64(-1))])
    # nested Loops: the inner body reads W (main graph) and the outer body's carried value
    # v0; the inner loop's carried u starts at the outer iteration's v0 and runs 3 times
    inner_ins = [helper.make_tensor_value_info("j", TensorProto.INT64, []),
                 helper.make_tensor_value_info("cj", TensorProto.BOOL, []),
                 helper.make_tensor_value_info("u", F, [2])]
    inner_outs = [helper.make_tensor_value_info("cj_out", TensorProto.BOOL, []),
                  helper.make_tensor_value_info("u_out", F, [2])]
    inner = helper.make_graph([helper.make_node("Add", ["u", "W"], ["uw"]),
                               helper.make_node("Mul", ["uw", "half"], ["u_out"]),
                               helper.make_node("Greater", ["j", "neg"], ["cj_out"])],
                              "inner", inner_ins, inner_outs)
    body4 = loop_body([helper.make_node("Loop", ["three", "", "v0"], ["in_final"], body=inner),
                       helper.make_node("Add", ["in_final", "v0"], ["v0_out"]),
                       helper.make_node("Greater", ["i", "neg"], ["c_out"])],
                      1, [(F, [2])], [], inits=[const("three", np.int64(3))])
    node4 = helper.make_node("Loop", ["M", "", "x0"], ["x_final"], body=body4)
    x = x0.copy()
    for it in range(2):
        u = x.copy()
        for jt in range(3):
            u = (u + w) * np.float32(0.5)
        x = u + x
    graph_case("loop_nested_reads_outer_values", [node4], {"x0": x0}, ["x_final"], [x], 13,
               inits=[const("M", np.int64(2)), const("neg", np.int64(-1)), const("W", w),
                      const("half", np.float32(0.5))])
    # If whose branches give different shapes
    t = helper.make_graph([], "t", [], [helper.make_tensor_value_info("a", F, [2])])
    e = helper.make_graph([], "e", [], [helper.make_tensor_value_info("b", F, [3])])
    a = np.array([1, 2], np.float32)
    b = np.array([3, 4, 5], np.float32)
    for cv in (True, False):
        graph_case("if_shapes_%s" % cv, [helper.make_node("If", ["c"], ["y"], then_branch=t,
                                                          else_branch=e)],
                   {"c": np.array(cv)}, ["y"], [a if cv else b], 11,
                   inits=[const("a", a), const("b", b)])


def main():
    recurrent_cases()
    attention_cases()
    rope_cases()
    scan_cases()
    loop_cases()
    print("%d passed, %d failed" % (passed, failed))
    if not failed:
        shutil.rmtree(WORK, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
