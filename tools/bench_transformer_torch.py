#!/usr/bin/python3
"""PyTorch CPU side of tools/bench_transformer.sh: the training workloads of
tools/bench_transformer.cpp (train-small, train-base) with the same model, shapes, synthetic
padding pattern, loss and optimizer, timed the same way (median of --steps after --warmup).
The model is ember's models/transformer in PyTorch's building blocks: nn.TransformerEncoderLayer /
nn.TransformerDecoderLayer (post-LN, ReLU, batch_first nn.MultiheadAttention, dropout 0.1 on the
sub-layer outputs and the FFN hidden layer, none on the attention weights), sqrt(D)-scaled
embeddings plus a sinusoidal table, an untied output projection; Xavier-uniform projections, zero
biases, N(0, D^-1/2) embeddings.
Run with Debian's python3 + python3-torch. Thread settings follow docs/benchmarks.md: the
runner sets OMP_WAIT_POLICY=PASSIVE and OPENBLAS_NUM_THREADS to the thread count."""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 6000
LENGTH = 32
PAD, BOS, EOS = 0, 2, 3
PRESETS = {  # d_model, heads, encoder layers, decoder layers, FFN width
    "small": (256, 8, 3, 3, 1024),
    "base": (512, 8, 6, 6, 2048),
}


def sinusoidal_table(max_len, d):
    position = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
    table = torch.zeros(max_len, d)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)
    return table


class Transformer(nn.Module):
    def __init__(self, d, heads, enc_layers, dec_layers, d_ff, dropout=0.1, max_len=256):
        super().__init__()
        self.d = d
        self.src_embed = nn.Embedding(VOCAB, d, padding_idx=PAD)
        self.tgt_embed = nn.Embedding(VOCAB, d, padding_idx=PAD)
        self.register_buffer("pe", sinusoidal_table(max_len, d))
        self.dropout = nn.Dropout(dropout)
        layer = dict(d_model=d, nhead=heads, dim_feedforward=d_ff, dropout=dropout,
                     batch_first=True, norm_first=False)
        self.encoder = nn.ModuleList(nn.TransformerEncoderLayer(**layer) for _ in range(enc_layers))
        self.decoder = nn.ModuleList(nn.TransformerDecoderLayer(**layer) for _ in range(dec_layers))
        for module in self.modules():  # ember has no dropout on the attention weights
            if isinstance(module, nn.MultiheadAttention):
                module.dropout = 0.0
        self.output = nn.Linear(d, VOCAB)
        for name, p in self.named_parameters():
            if "embed" in name:
                nn.init.normal_(p, 0.0, d ** -0.5)
                with torch.no_grad():
                    p[PAD].zero_()
            elif p.dim() > 1:
                nn.init.xavier_uniform_(p)
            elif "norm" not in name:  # biases; LayerNorm keeps weight 1, bias 0
                nn.init.zeros_(p)

    def embed(self, table, ids):
        return self.dropout(table(ids) * math.sqrt(self.d) + self.pe[: ids.size(1)])

    def forward(self, src, tgt_in):
        src_pad, tgt_pad = src == PAD, tgt_in == PAD
        T = tgt_in.size(1)
        causal = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        x = self.embed(self.src_embed, src)
        for layer in self.encoder:
            x = layer(x, src_key_padding_mask=src_pad)
        y = self.embed(self.tgt_embed, tgt_in)
        for layer in self.decoder:
            y = layer(y, x, tgt_mask=causal, tgt_key_padding_mask=tgt_pad,
                      memory_key_padding_mask=src_pad)
        return self.output(y)


def synthetic_batch(batch):
    """The padding pattern of bench_transformer.cpp: row i keeps 32 - 2 (i mod 8) tokens."""
    src = torch.randint(4, VOCAB, (batch, LENGTH))
    tgt = torch.randint(4, VOCAB, (batch, LENGTH))
    for i in range(batch):
        length = LENGTH - 2 * (i % 8)
        tgt[i, 0] = BOS
        tgt[i, length - 1] = EOS
        src[i, length:] = PAD
        tgt[i, length:] = PAD
    return src, tgt


def train(preset, batch):
    model = Transformer(*PRESETS[preset])
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=7e-4, betas=(0.9, 0.98), eps=1e-9)
    src, tgt = synthetic_batch(batch)
    tgt_in, tgt_out = tgt[:, :-1], tgt[:, 1:].reshape(-1)

    def step():
        logits = model(src, tgt_in)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(2)), tgt_out, ignore_index=PAD,
                               label_smoothing=0.1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return step, batch * (LENGTH - 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--workload", default="", choices=["", "train-small", "train-base"])
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    workloads = [("train-small", lambda: train("small", 64)),
                 ("train-base", lambda: train("base", 32))]
    for name, make in workloads:
        if args.workload and name != args.workload:
            continue
        torch.manual_seed(0)
        step, tokens = make()
        for _ in range(args.warmup):
            step()
        ms = []
        for _ in range(args.steps):
            t0 = time.perf_counter()
            step()
            ms.append((time.perf_counter() - t0) * 1000)
        mid = sorted(ms)[len(ms) // 2]  # as bench_transformer.cpp: the upper median
        print(f"workload {name} median_ms {mid:.2f} min_ms {min(ms):.2f} runs {args.steps} "
              f"tokens_per_s {tokens / (mid / 1000):.1f}", flush=True)


if __name__ == "__main__":
    main()
