#!/usr/bin/python3
"""PyTorch CPU side of tools/bench_ops.sh: the same ops, shapes and protocol as
tools/bench_ops.cpp (forward + backward, median of --runs after --warmup).
Run with Debian's python3 + python3-torch. Thread settings follow docs/benchmarks.md: the
runner sets OMP_WAIT_POLICY=PASSIVE and OPENBLAS_NUM_THREADS to the thread count."""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F


def benches():
    def matmul():
        a = torch.randn(1024, 1024, requires_grad=True)
        b = torch.randn(1024, 1024, requires_grad=True)

        def step():
            a.grad = None
            b.grad = None
            (a @ b).sum().backward()
        return step

    def softmax():
        x = torch.randn(64, 8, 32, 32, requires_grad=True)
        g = torch.randn(64, 8, 32, 32)

        def step():
            x.grad = None
            torch.softmax(x, -1).backward(g)
        return step

    def layer_norm():
        x = torch.randn(2048, 512, requires_grad=True)
        w = torch.ones(512, requires_grad=True)
        b = torch.zeros(512, requires_grad=True)
        g = torch.randn(2048, 512)

        def step():
            x.grad = w.grad = b.grad = None
            F.layer_norm(x, (512,), w, b, 1e-5).backward(g)
        return step

    def gelu():
        x = torch.randn(2048, 2048, requires_grad=True)
        g = torch.randn(2048, 2048)

        def step():
            x.grad = None
            F.gelu(x).backward(g)
        return step

    def cross_entropy():
        x = torch.randn(2048, 6000, requires_grad=True)
        t = torch.randint(0, 6000, (2048,))

        def step():
            x.grad = None
            F.cross_entropy(x, t).backward()
        return step

    return [("matmul_1024", matmul), ("softmax_64x8x32x32", softmax),
            ("layer_norm_2048x512", layer_norm), ("gelu_2048x2048", gelu),
            ("cross_entropy_2048x6000", cross_entropy)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--op", default="")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for name, setup in benches():
        if args.op and name != args.op:
            continue
        step = setup()
        for _ in range(args.warmup):
            step()
        ms = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            step()
            ms.append((time.perf_counter() - t0) * 1000)
        print(f"op {name} median_ms {statistics.median(ms):.3f} min_ms {min(ms):.3f} runs {args.runs}",
              flush=True)


if __name__ == "__main__":
    main()
