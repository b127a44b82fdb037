#!/usr/bin/python3
"""Writes tests/fixtures/nn/<case>.safetensors: PyTorch's outputs and gradients for ember's layers.

Run with Debian's python3 and python3-torch (not a pyenv python):
    /usr/bin/python3 tools/gen_nn_fixtures.py
The C++ test tests/nn/test_torch_parity.cpp builds the same ember layer from each file's
metadata, loads the weights, runs forward and backward and compares.

Each file holds, by key:
    weights.<name>          a parameter under ember's name (loaded with load_state_dict, strict)
    input.<name>            an input of forward (float inputs get gradients)
    upstream                the gradient fed to backward: loss = sum(output * upstream)
    expected.output         the layer's output
    expected.grad.<key>     d loss / d <key>, for key = input.<name> or weights.<name>
    expected.<other>        further outputs (attention weights, positional tables)
and in "__metadata__" the layer's settings as strings ("layer" names the ember class).

The files are written with the standard library only, in the safetensors layout: an 8-byte
little-endian header length, a JSON header (keys sorted, padded with spaces to a multiple of 8)
mapping each name to {dtype, shape, data_offsets}, then the raw little-endian data.
"""
import json
import pathlib
import struct

import numpy as np
import torch
import torch.nn.functional as F

OUT_DIR = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "nn"
F32 = torch.float32

DTYPES = {
    torch.float32: ("F32", "<f4"),
    torch.float64: ("F64", "<f8"),
    torch.int64: ("I64", "<i8"),
    torch.bool: ("BOOL", "|b1"),
}


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        dtype, np_type = DTYPES[t.dtype]
        data = t.numpy().astype(np_type, copy=False).tobytes(order="C")
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def randn(*shape, scale=1.0):
    return torch.randn(*shape, dtype=F32) * scale


def run_case(name, metadata, weights, inputs, forward, extra=None):
    """weights: {ember name: torch leaf}; inputs: {name: tensor}; forward(inputs) -> output.

    Float inputs and all weights get gradients of loss = sum(output * upstream).
    """
    leaves = {}
    for key, t in inputs.items():
        t = t.detach().clone()
        if t.is_floating_point():
            t.requires_grad_(True)
        leaves[key] = t
    output = forward(leaves)
    upstream = randn(*output.shape)
    (output * upstream).sum().backward()

    tensors = {"upstream": upstream, "expected.output": output.detach()}
    for key, t in leaves.items():
        tensors["input." + key] = t.detach()
        if t.requires_grad:
            tensors["expected.grad.input." + key] = t.grad
    for key, w in weights.items():
        value, grad = w() if callable(w) else (w.detach(), w.grad)
        tensors["weights." + key] = value
        tensors["expected.grad.weights." + key] = grad
    for key, t in (extra or {}).items():
        tensors["expected." + key] = t.detach()
    write_safetensors(OUT_DIR / f"{name}.safetensors", tensors, metadata)


def named(module, rename=None):
    """The module's parameters by ember name (rename maps PyTorch's name prefixes)."""
    out = {}
    for key, p in module.named_parameters():
        for old, new in (rename or {}).items():
            if key.startswith(old):
                key = new + key[len(old):]
        out[key] = p
    return out


def linear_cases():
    torch.manual_seed(1)
    for bias in (True, False):
        fc = torch.nn.Linear(5, 4, bias=bias)
        run_case(f"linear_{'bias' if bias else 'nobias'}",
                 {"layer": "Linear", "in_features": 5, "out_features": 4, "bias": int(bias)},
                 named(fc), {"x": randn(2, 3, 5)}, lambda t: fc(t["x"]))


def layer_norm_cases():
    torch.manual_seed(2)
    for name, shape, affine, eps in (("layer_norm", [6], True, 1e-5),
                                     ("layer_norm_2d", [3, 4], True, 1e-5),
                                     ("layer_norm_noaffine", [5], False, 1e-3)):
        ln = torch.nn.LayerNorm(shape, eps=eps, elementwise_affine=affine)
        if affine:
            with torch.no_grad():  # away from the 1/0 defaults so the affine part matters
                ln.weight.copy_(1 + 0.5 * randn(*shape))
                ln.bias.copy_(0.5 * randn(*shape))
        x = randn(2, 3, *shape, scale=2.0) + 0.7
        run_case(name, {"layer": "LayerNorm", "normalized_shape": ",".join(map(str, shape)),
                        "eps": repr(eps), "elementwise_affine": int(affine)},
                 named(ln), {"x": x}, lambda t: ln(t["x"]))


def embedding_case():
    torch.manual_seed(3)
    ids = torch.tensor([[1, 0, 3, 3, 6], [0, 2, 6, 5, 1]], dtype=torch.int64)
    for name, padding_idx in (("embedding_padding", 0), ("embedding_padding_negative", -1)):
        emb = torch.nn.Embedding(7, 4, padding_idx=padding_idx)
        run_case(name, {"layer": "Embedding", "num_embeddings": 7, "embedding_dim": 4,
                        "padding_idx": padding_idx},
                 named(emb), {"ids": ids}, lambda t: emb(t["ids"]))


def feedforward_cases():
    torch.manual_seed(4)
    for act_name, act in (("relu", torch.nn.ReLU()), ("gelu", torch.nn.GELU())):
        ffn = torch.nn.Sequential(torch.nn.Linear(6, 10), act, torch.nn.Linear(10, 6))
        run_case(f"ffn_{act_name}",
                 {"layer": "PositionwiseFeedForward", "d_model": 6, "d_ff": 10,
                  "activation": act_name},
                 named(ffn, {"0.": "fc1.", "2.": "fc2."}), {"x": randn(2, 3, 6, scale=1.5)},
                 lambda t: ffn(t["x"]))


def activation_cases():
    torch.manual_seed(5)
    x = torch.cat([randn(14, scale=3.0), torch.tensor([0.0, -30.0])]).view(2, 8)
    cases = {
        "relu": lambda v: torch.relu(v),
        "gelu": lambda v: F.gelu(v),
        "gelu_tanh": lambda v: F.gelu(v, approximate="tanh"),
        "tanh": lambda v: torch.tanh(v),
        "sigmoid": lambda v: torch.sigmoid(v),
        "softmax": lambda v: torch.softmax(v, dim=-1),
    }
    for act_name, fn in cases.items():
        run_case(f"act_{act_name}", {"layer": "Activation", "activation": act_name}, {},
                 {"x": x}, lambda t, fn=fn: fn(t["x"]))


def size2(v):
    return f"{v[0]},{v[1]}" if isinstance(v, tuple) else f"{v},{v}"


def conv_cases():
    torch.manual_seed(6)
    configs = {
        "conv2d_stride_pad_groups": dict(in_channels=4, out_channels=6, kernel_size=3, stride=2,
                                         padding=1, dilation=1, groups=2, bias=True),
        "conv2d_rect_dilated_nobias": dict(in_channels=3, out_channels=2, kernel_size=(2, 3),
                                           stride=(1, 2), padding=(1, 0), dilation=(2, 1),
                                           groups=1, bias=False),
    }
    for name, cfg in configs.items():
        conv = torch.nn.Conv2d(**cfg)
        meta = {"layer": "Conv2d", "in_channels": cfg["in_channels"],
                "out_channels": cfg["out_channels"], "groups": cfg["groups"],
                "bias": int(cfg["bias"])}
        for key in ("kernel_size", "stride", "padding", "dilation"):
            meta[key] = size2(cfg[key])
        run_case(name, meta, named(conv), {"x": randn(2, cfg["in_channels"], 7, 6)},
                 lambda t: conv(t["x"]))


def patch_embedding_case():
    torch.manual_seed(7)
    proj = torch.nn.Conv2d(3, 8, kernel_size=4, stride=4)
    run_case("patch_embedding", {"layer": "PatchEmbedding", "in_channels": 3, "embed_dim": 8,
                                 "patch_size": 4},
             named(proj, {"": "proj."}), {"images": randn(2, 3, 8, 12)},
             lambda t: proj(t["images"]).flatten(2).transpose(1, 2))


def mha_weights(mha, packed):
    """torch.nn.MultiheadAttention's parameters under ember's names, as (value, grad) thunks."""
    E = mha.embed_dim
    out = {}
    if packed:
        out["in_proj_weight"] = mha.in_proj_weight
        if mha.in_proj_bias is not None:
            out["in_proj_bias"] = mha.in_proj_bias
    else:
        for i, which in enumerate("qkv"):
            if mha._qkv_same_embed_dim:
                w = mha.in_proj_weight
                out[f"{which}_proj.weight"] = (
                    lambda w=w, i=i: (w.detach()[i * E:(i + 1) * E], w.grad[i * E:(i + 1) * E]))
            else:
                out[f"{which}_proj.weight"] = getattr(mha, f"{which}_proj_weight")
            if mha.in_proj_bias is not None:
                b = mha.in_proj_bias
                out[f"{which}_proj.bias"] = (
                    lambda b=b, i=i: (b.detach()[i * E:(i + 1) * E], b.grad[i * E:(i + 1) * E]))
    out["out_proj.weight"] = mha.out_proj.weight
    if mha.out_proj.bias is not None:
        out["out_proj.bias"] = mha.out_proj.bias
    return out


def make_mha(E, H, bias=True, kdim=None, vdim=None):
    mha = torch.nn.MultiheadAttention(E, H, bias=bias, kdim=kdim, vdim=vdim, batch_first=True)
    if bias:  # PyTorch starts the biases at zero; random ones make the bias terms count
        with torch.no_grad():
            mha.in_proj_bias.copy_(0.3 * randn(3 * E))
            mha.out_proj.bias.copy_(0.3 * randn(E))
    return mha


def causal_mask(Tq, Tk):
    return torch.ones(Tq, Tk, dtype=torch.bool).triu(Tk - Tq + 1)


def mha_case(name, *, E=8, H=2, B=2, Tq=4, Tk=None, packed=True, bias=True, kdim=None,
             vdim=None, key_padding=False, causal=False, extra_mask=None, self_attention=True):
    Tk = Tk or Tq
    mha = make_mha(E, H, bias, kdim, vdim)
    inputs = {}
    if self_attention:
        inputs["x"] = randn(B, Tq, E)
    else:
        inputs["query"] = randn(B, Tq, E)
        inputs["key"] = randn(B, Tk, kdim or E)
        inputs["value"] = randn(B, Tk, vdim or E)
    if key_padding:  # the last keys of batch 1 are padding; every query keeps a key
        pad = torch.zeros(B, Tk, dtype=torch.bool)
        pad[1, Tk - 2:] = True
        inputs["key_padding"] = pad
    if extra_mask == "float":  # [Tq, Tk], added to the scores
        inputs["attn_mask"] = randn(Tq, Tk)
    elif extra_mask == "float_per_head":  # [B, H, Tq, Tk] for ember, [B*H, Tq, Tk] for PyTorch
        inputs["attn_mask"] = randn(B, H, Tq, Tk)
    elif extra_mask == "bool_per_head":  # random, but every query keeps its own key
        mask = torch.rand(B, H, Tq, Tk) < 0.5
        mask[..., torch.arange(Tq), torch.arange(Tq)] = False
        inputs["attn_mask"] = mask

    def call(t, average):
        q = t["x"] if self_attention else t["query"]
        k = t["x"] if self_attention else t["key"]
        v = t["x"] if self_attention else t["value"]
        attn_mask = causal_mask(Tq, Tk) if causal else None
        if "attn_mask" in t:
            attn_mask = t["attn_mask"].reshape(-1, Tq, Tk).squeeze(0)
        return mha(q, k, v, key_padding_mask=t.get("key_padding"), attn_mask=attn_mask,
                   need_weights=True, average_attn_weights=average)

    with torch.no_grad():
        _, per_head = call(inputs, False)
        _, averaged = call(inputs, True)
    meta = {"layer": "MultiHeadAttention", "embed_dim": E, "num_heads": H,
            "bias": int(bias), "packed_qkv": int(packed), "kdim": kdim or 0, "vdim": vdim or 0,
            "causal": int(causal), "self_attention": int(self_attention)}
    run_case(name, meta, mha_weights(mha, packed), inputs, lambda t: call(t, True)[0],
             {"attn_weights": per_head, "attn_weights_avg": averaged})


def mha_cases():
    torch.manual_seed(8)
    mha_case("mha_key_padding", key_padding=True)
    mha_case("mha_key_padding_separate", key_padding=True, packed=False)
    mha_case("mha_causal", causal=True, packed=False, Tq=5)
    mha_case("mha_causal_key_padding", causal=True, key_padding=True)
    mha_case("mha_float_mask", extra_mask="float")
    mha_case("mha_float_mask_per_head_key_padding", extra_mask="float_per_head", key_padding=True,
             packed=False)
    mha_case("mha_bool_mask_per_head", extra_mask="bool_per_head", Tq=5)
    mha_case("mha_cross", self_attention=False, Tq=3, Tk=5, key_padding=True)
    mha_case("mha_cross_separate", self_attention=False, Tq=3, Tk=5, packed=False)
    mha_case("mha_cross_kdim_vdim", self_attention=False, Tq=3, Tk=5, packed=False, kdim=6,
             vdim=5, key_padding=True)
    mha_case("mha_nobias", bias=False, causal=True)
    mha_case("mha_four_heads", E=8, H=4, Tq=3, key_padding=True)


def kv_cache_case():
    """A decoder step: causal self-attention, then cross-attention to a padded memory.

    ember runs it token by token with a growing self-attention cache and a fixed cross cache;
    PyTorch's full causal pass gives the expected outputs and gradients.
    """
    torch.manual_seed(9)
    E, H, B, T, S = 8, 2, 2, 5, 3
    self_attn, cross_attn = make_mha(E, H), make_mha(E, H)
    memory_pad = torch.zeros(B, S, dtype=torch.bool)
    memory_pad[1, S - 1] = True

    def forward(t):
        h, _ = self_attn(t["x"], t["x"], t["x"], attn_mask=causal_mask(T, T), need_weights=False)
        out, _ = cross_attn(h, t["memory"], t["memory"], key_padding_mask=t["memory_pad"],
                            need_weights=False)
        return out

    weights = {}
    for prefix, mha, packed in (("self_attn.", self_attn, True),
                                ("cross_attn.", cross_attn, False)):
        for key, w in mha_weights(mha, packed).items():
            weights[prefix + key] = w
    run_case("mha_kv_cache", {"layer": "KVCacheDecoder", "embed_dim": E, "num_heads": H},
             weights, {"x": randn(B, T, E), "memory": randn(B, S, E), "memory_pad": memory_pad},
             forward)


def positional_cases():
    torch.manual_seed(10)
    for d_model in (6, 7):
        max_len, offset = 12, 2
        pos = np.arange(max_len, dtype=np.float64)[:, None]
        i = np.arange(0, d_model, 2, dtype=np.float64)[None, :]
        angle = pos / np.power(10000.0, i / d_model)
        table = np.zeros((max_len, d_model))
        table[:, 0::2] = np.sin(angle)
        table[:, 1::2] = np.cos(angle)[:, : d_model // 2]
        table = torch.from_numpy(table).to(F32)
        run_case(f"sinusoidal_d{d_model}",
                 {"layer": "SinusoidalPositionalEncoding", "d_model": d_model,
                  "max_len": max_len, "offset": offset},
                 {}, {"x": randn(2, 3, d_model)}, lambda t: t["x"] + table[offset:offset + 3],
                 {"table": table})
    weight = randn(10, 6, scale=0.02).requires_grad_(True)
    run_case("learned_positional", {"layer": "LearnedPositionalEmbedding", "max_len": 10,
                                    "d_model": 6, "offset": 3},
             {"weight": weight}, {"x": randn(2, 4, 6)}, lambda t: t["x"] + weight[3:7])


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for old in OUT_DIR.glob("*.safetensors"):
        old.unlink()
    linear_cases()
    layer_norm_cases()
    embedding_case()
    feedforward_cases()
    activation_cases()
    conv_cases()
    patch_embedding_case()
    mha_cases()
    kv_cache_case()
    positional_cases()
    files = sorted(OUT_DIR.glob("*.safetensors"))
    total = sum(f.stat().st_size for f in files)
    print(f"wrote {len(files)} fixtures, {total} bytes, to {OUT_DIR}")


if __name__ == "__main__":
    main()
