#!/usr/bin/env python3
"""PyTorch CPU eager reference for `npm run bench -- --only train`: tokens/s of whole training
steps (forward, backward, gradient clipping, AdamW) of a Llama model of the given shape, fp32,
on the batch bench/train.ts uses (example s: id_t = (s*131 + t*7919 + 13) % V, loss on every
position but the last). Tied embeddings, SwiGLU, RMSNorm, RoPE (rotate_half), causal GQA.

Needs only torch (Debian python3-torch). Prints one JSON object.

  python3 bench/torch_train.py --d 128 --layers 4 --heads 4 --kv-heads 4 --dff 384 --vocab 2048 \
      --batch 32 --tokens 80 --steps 4 --threads 1
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F


class Llama(torch.nn.Module):
    def __init__(self, d, layers, heads, kv_heads, dff, vocab, max_pos=256, theta=10000.0, eps=1e-5):
        super().__init__()
        self.d, self.H, self.Hkv, self.dh, self.eps = d, heads, kv_heads, d // heads, eps
        p = lambda *shape: torch.nn.Parameter(torch.randn(*shape) * 0.02)
        self.embed = p(vocab, d)
        self.blocks = torch.nn.ModuleList()
        for _ in range(layers):
            b = torch.nn.Module()
            b.n1, b.n2 = torch.nn.Parameter(torch.ones(d)), torch.nn.Parameter(torch.ones(d))
            b.qkv = p((heads + 2 * kv_heads) * self.dh, d)
            b.o, b.gate_up, b.down = p(d, heads * self.dh), p(2 * dff, d), p(d, dff)
            self.blocks.append(b)
        self.norm = torch.nn.Parameter(torch.ones(d))
        inv = 1.0 / (theta ** (torch.arange(0, self.dh, 2, dtype=torch.float64) / self.dh))
        ang = torch.arange(max_pos, dtype=torch.float64)[:, None] * inv[None, :]
        self.cos = torch.cat([ang.cos(), ang.cos()], -1).float()
        self.sin = torch.cat([ang.sin(), ang.sin()], -1).float()

    def rms(self, x, g):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * g

    def rope(self, x, T):
        half = self.dh // 2
        rot = torch.cat([-x[..., half:], x[..., :half]], -1)
        return x * self.cos[:T] + rot * self.sin[:T]

    def forward(self, ids):
        B, T = ids.shape
        x = self.embed[ids]
        mask = torch.full((T, T), float('-inf')).triu(1)
        for b in self.blocks:
            qkv = self.rms(x, b.n1) @ b.qkv.t()
            q, k, v = qkv.split([self.H * self.dh, self.Hkv * self.dh, self.Hkv * self.dh], -1)
            q = self.rope(q.view(B, T, self.H, self.dh).transpose(1, 2), T)
            k = self.rope(k.view(B, T, self.Hkv, self.dh).transpose(1, 2), T)
            v = v.view(B, T, self.Hkv, self.dh).transpose(1, 2)
            if self.Hkv != self.H:
                k = k.repeat_interleave(self.H // self.Hkv, 1)
                v = v.repeat_interleave(self.H // self.Hkv, 1)
            att = torch.softmax(q @ k.transpose(-1, -2) / self.dh ** 0.5 + mask, -1)
            z = (att @ v).transpose(1, 2).reshape(B, T, self.H * self.dh)
            x = x + z @ b.o.t()
            gate, up = (self.rms(x, b.n2) @ b.gate_up.t()).chunk(2, -1)
            x = x + (F.silu(gate) * up) @ b.down.t()
        return self.rms(x, self.norm) @ self.embed.t()


def main():
    ap = argparse.ArgumentParser()
    for name, default in [('d', 128), ('layers', 4), ('heads', 4), ('kv-heads', 4), ('dff', 384), ('vocab', 2048),
                          ('batch', 32), ('tokens', 80), ('steps', 4), ('threads', 1)]:
        ap.add_argument('--' + name, type=int, default=default)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = Llama(a.d, a.layers, a.heads, a.kv_heads, a.dff, a.vocab)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.1}, {'params': no_decay, 'weight_decay': 0.0}], lr=3e-3, betas=(0.9, 0.95))
    ids = torch.tensor([[(s * 131 + t * 7919 + 13) % a.vocab for t in range(a.tokens)] for s in range(a.batch)])
    times = []
    for step in range(a.steps + 1):
        start = time.perf_counter()
        logits = model(ids)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, a.vocab), ids[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step > 0:
            times.append(time.perf_counter() - start)
    ms = statistics.median(times) * 1000
    print(json.dumps({
        'torch': torch.__version__, 'threads': a.threads, 'ms_per_step': ms,
        'tokens_per_s': a.batch * a.tokens / (ms / 1000), 'loss': float(loss),
        'params': sum(p.numel() for p in model.parameters()),
    }))


if __name__ == '__main__':
    main()
