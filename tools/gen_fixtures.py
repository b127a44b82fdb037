#!/usr/bin/python3
"""Writes tests/fixtures/torch_ops.txt: inputs, outputs and gradients computed by PyTorch.

Run with Debian's python3 and python3-torch (not a pyenv python):
    /usr/bin/python3 tools/gen_fixtures.py
The C++ test tests/ops/test_torch_fixtures.cpp recomputes every case with ember and compares.

Format, one tensor per line:
    case <name>
    <role> <name> <dtype> <ndim> <sizes...> <values...>
    end
role is `in` (an input; float inputs require grad), `up` (the upstream gradient fed to
backward), `out` (an output of the op) or `grad` (d(sum(out * up))/d(input)).
"""
import pathlib

import torch
import torch.nn.functional as F

torch.manual_seed(0)
D = torch.float64


def rnd(*shape, lo=-2.0, hi=2.0):
    return torch.rand(*shape, dtype=D) * (hi - lo) + lo


def pos(*shape):
    return rnd(*shape, lo=0.5, hi=2.5)


CASES = []


def case(name, inputs, fn):
    CASES.append((name, inputs, fn))


# elementwise, with broadcasting
case("add_broadcast", {"a": rnd(2, 3, 4), "b": rnd(3, 1)}, lambda t: t["a"] + t["b"])
case("sub_alpha", {"a": rnd(3, 4), "b": rnd(4)}, lambda t: torch.sub(t["a"], t["b"], alpha=2.0))
case("mul_broadcast", {"a": rnd(2, 3, 4), "b": rnd(4)}, lambda t: t["a"] * t["b"])
case("div_broadcast", {"a": rnd(2, 3), "b": pos(2, 1)}, lambda t: t["a"] / t["b"])
case("pow_tensor", {"a": pos(3, 4), "b": rnd(3, 4)}, lambda t: torch.pow(t["a"], t["b"]))
case("pow_scalar", {"x": rnd(3, 4)}, lambda t: torch.pow(t["x"], 3.0))
case("maximum", {"a": rnd(3, 4), "b": rnd(3, 4)}, lambda t: torch.maximum(t["a"], t["b"]))
case("exp", {"x": rnd(3, 4)}, lambda t: torch.exp(t["x"]))
case("log", {"x": pos(3, 4)}, lambda t: torch.log(t["x"]))
case("sqrt", {"x": pos(3, 4)}, lambda t: torch.sqrt(t["x"]))
case("rsqrt", {"x": pos(3, 4)}, lambda t: torch.rsqrt(t["x"]))
case("sin", {"x": rnd(3, 4)}, lambda t: torch.sin(t["x"]))
case("cos", {"x": rnd(3, 4)}, lambda t: torch.cos(t["x"]))
case("tanh", {"x": rnd(3, 4)}, lambda t: torch.tanh(t["x"]))
case("sigmoid", {"x": rnd(3, 4, lo=-8, hi=8)}, lambda t: torch.sigmoid(t["x"]))
case("relu", {"x": rnd(3, 4)}, lambda t: torch.relu(t["x"]))
case("gelu_erf", {"x": rnd(3, 4, lo=-4, hi=4)}, lambda t: F.gelu(t["x"]))
case("gelu_tanh", {"x": rnd(3, 4, lo=-4, hi=4)}, lambda t: F.gelu(t["x"], approximate="tanh"))
case("clamp", {"x": rnd(3, 4)}, lambda t: torch.clamp(t["x"], -0.5, 0.8))
case("abs", {"x": rnd(3, 4)}, lambda t: torch.abs(t["x"]))

# reductions
case("sum_dims", {"x": rnd(2, 3, 4)}, lambda t: t["x"].sum(dim=(0, 2)))
case("mean_keepdim", {"x": rnd(2, 3, 4)}, lambda t: t["x"].mean(dim=1, keepdim=True))
case("var_unbiased", {"x": rnd(3, 5)}, lambda t: t["x"].var(dim=1))
case("std_biased", {"x": rnd(3, 5)}, lambda t: t["x"].std(dim=0, unbiased=False))
case("norm2", {"x": rnd(3, 5)}, lambda t: torch.linalg.vector_norm(t["x"], 2, dim=1))
case("prod", {"x": rnd(3, 4)}, lambda t: t["x"].prod(dim=1))
case("max_dim", {"x": rnd(3, 5)}, lambda t: t["x"].max(dim=1).values)
case("logsumexp", {"x": rnd(3, 5)}, lambda t: torch.logsumexp(t["x"], dim=1))

# softmax family and normalisation
case("softmax_last", {"x": rnd(2, 3, 5, lo=-4, hi=4)}, lambda t: torch.softmax(t["x"], -1))
case("softmax_dim1", {"x": rnd(2, 3, 5, lo=-4, hi=4)}, lambda t: torch.softmax(t["x"], 1))
case("log_softmax_last", {"x": rnd(4, 6, lo=-4, hi=4)}, lambda t: torch.log_softmax(t["x"], -1))
case("layer_norm", {"x": rnd(2, 3, 8), "w": rnd(8), "b": rnd(8)},
     lambda t: F.layer_norm(t["x"], (8,), t["w"], t["b"], 1e-5))

# matmul
case("matmul_2d", {"a": rnd(3, 4), "b": rnd(4, 5)}, lambda t: t["a"] @ t["b"])
case("matmul_batched_broadcast", {"a": rnd(2, 1, 3, 4), "b": rnd(3, 4, 2)}, lambda t: t["a"] @ t["b"])
case("matmul_vec", {"a": rnd(4), "b": rnd(2, 4, 3)}, lambda t: t["a"] @ t["b"])

# losses (targets are int64 inputs, not differentiated)
ce_target = torch.tensor([1, 0, 4, -100, 2], dtype=torch.int64)
case("cross_entropy", {"logits": rnd(5, 6, lo=-3, hi=3), "target": ce_target},
     lambda t: F.cross_entropy(t["logits"], t["target"], ignore_index=-100))
case("cross_entropy_smooth", {"logits": rnd(5, 6, lo=-3, hi=3), "target": ce_target},
     lambda t: F.cross_entropy(t["logits"], t["target"], ignore_index=-100, label_smoothing=0.1))
case("cross_entropy_sum", {"logits": rnd(5, 6, lo=-3, hi=3), "target": ce_target},
     lambda t: F.cross_entropy(t["logits"], t["target"], reduction="sum"))
case("mse", {"a": rnd(3, 4), "b": rnd(3, 4)}, lambda t: F.mse_loss(t["a"], t["b"]))
case("bce_logits", {"x": rnd(3, 4, lo=-5, hi=5), "y": torch.rand(3, 4, dtype=D)},
     lambda t: F.binary_cross_entropy_with_logits(t["x"], t["y"]))

# convolution and indexing
case("conv2d", {"x": rnd(2, 3, 6, 5), "w": rnd(4, 3, 3, 2), "b": rnd(4)},
     lambda t: F.conv2d(t["x"], t["w"], t["b"], stride=(2, 1), padding=(1, 1), dilation=(1, 2)))
case("unfold", {"x": rnd(1, 2, 4, 4)}, lambda t: F.unfold(t["x"], (2, 3), padding=1, stride=(2, 1)))
emb_idx = torch.tensor([[0, 2, 2], [4, 1, 0]], dtype=torch.int64)
case("embedding", {"w": rnd(5, 3), "idx": emb_idx}, lambda t: F.embedding(t["idx"], t["w"]))
gather_idx = torch.tensor([[0, 2], [1, 1], [3, 0]], dtype=torch.int64)
case("gather", {"x": rnd(3, 4), "idx": gather_idx}, lambda t: torch.gather(t["x"], 1, t["idx"]))
case("cat", {"a": rnd(2, 3), "b": rnd(2, 2)}, lambda t: torch.cat([t["a"], t["b"]], 1))
case("stack", {"a": rnd(2, 3), "b": rnd(2, 3)}, lambda t: torch.stack([t["a"], t["b"]], 1))
case("roll", {"x": rnd(3, 4)}, lambda t: torch.roll(t["x"], shifts=(1, -2), dims=(0, 1)))
case("pad", {"x": rnd(2, 3)}, lambda t: F.pad(t["x"], (1, 2, 0, 1), value=0.5))
case("tril", {"x": rnd(4, 4)}, lambda t: torch.tril(t["x"], -1))


def dtype_name(t):
    return {torch.float64: "float64", torch.float32: "float32", torch.int64: "int64",
            torch.bool: "bool"}[t.dtype]


def line(role, name, t):
    t = t.detach().contiguous()
    values = t.reshape(-1).tolist()
    if t.dtype.is_floating_point:
        text = " ".join(repr(float(v)) for v in values)
    else:
        text = " ".join(str(int(v)) for v in values)
    sizes = " ".join(str(s) for s in t.shape)
    return f"{role} {name} {dtype_name(t)} {t.dim()} {sizes} {text}".replace("  ", " ").rstrip()


def main():
    out = [f"# generated by tools/gen_fixtures.py with torch {torch.__version__}; do not edit"]
    for name, inputs, fn in CASES:
        leaves = {k: (v.clone().requires_grad_() if v.dtype.is_floating_point else v)
                  for k, v in inputs.items()}
        result = fn(leaves)
        up = torch.rand(result.shape, dtype=D) * 2 - 1
        (result * up).sum().backward()
        out.append(f"case {name}")
        for k, v in leaves.items():
            out.append(line("in", k, v))
        out.append(line("up", "out", up))
        out.append(line("out", "out", result))
        for k, v in leaves.items():
            if v.dtype.is_floating_point:
                out.append(line("grad", k, v.grad))
        out.append("end")
    path = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_ops.txt"
    path.write_text("\n".join(out) + "\n")
    print(f"wrote {len(CASES)} cases to {path}")


if __name__ == "__main__":
    main()
