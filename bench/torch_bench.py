#!/usr/bin/env python3
"""PyTorch CPU eager reference for `npm run bench`: prefill and decode tokens/s of a local
Qwen2/Llama folder (config.json + model.safetensors), fp32 compute, with a KV cache.

Needs only torch (Debian python3-torch, 1.13): no transformers, no numpy. Prints one JSON object:
  {"prefill_tokens_per_s", "decode_tokens_per_s", "greedy", "threads", ...}
The prompt is the same deterministic one the TypeScript bench uses: id_i = (i*7919 + 13) % V.

  python3 bench/torch_bench.py DIR [--prompt 128] [--decode 32] [--warmup 4] [--threads 1] [--repeats 3]
"""
import argparse
import json
import math
import os
import struct
import time

import torch


def read_safetensors(path):
    """Returns {name: f32 tensor}; BF16/F16/F32 only. Parses the header itself."""
    tensors = {}
    with open(path, 'rb') as f:
        (n,) = struct.unpack('<Q', f.read(8))
        header = json.loads(f.read(n).decode('utf-8'))
        base = 8 + n
        for name, info in header.items():
            if name == '__metadata__':
                continue
            begin, end = info['data_offsets']
            f.seek(base + begin)
            raw = bytearray(f.read(end - begin))
            dtype = {'F32': torch.float32, 'BF16': torch.bfloat16, 'F16': torch.float16}[info['dtype']]
            t = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
            tensors[name] = t.to(torch.float32).reshape(info['shape'])
    return tensors


def rope_inv_freq(cfg, head_dim):
    theta = cfg.get('rope_theta', 10000.0)
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    rs = cfg.get('rope_scaling')
    if rs and (rs.get('rope_type') or rs.get('type')) == 'llama3':
        factor, low, high = rs['factor'], rs['low_freq_factor'], rs['high_freq_factor']
        old = rs['original_max_position_embeddings']
        low_wl, high_wl = old / low, old / high
        out = []
        for f in inv.tolist():
            wl = 2 * math.pi / f
            if wl < high_wl:
                out.append(f)
            elif wl > low_wl:
                out.append(f / factor)
            else:
                smooth = (old / wl - low) / (high - low)
                out.append((1 - smooth) * f / factor + smooth * f)
        inv = torch.tensor(out, dtype=torch.float64)
    return inv


class Model:
    def __init__(self, folder):
        with open(os.path.join(folder, 'config.json')) as f:
            cfg = json.load(f)
        self.cfg = cfg
        self.d = cfg['hidden_size']
        self.L = cfg['num_hidden_layers']
        self.H = cfg['num_attention_heads']
        self.Hkv = cfg.get('num_key_value_heads', self.H)
        self.dh = cfg.get('head_dim') or self.d // self.H
        self.eps = cfg.get('rms_norm_eps', 1e-6)
        w = read_safetensors(os.path.join(folder, 'model.safetensors'))
        self.embed = w['model.embed_tokens.weight']
        self.lm_head = self.embed if cfg.get('tie_word_embeddings', False) else w['lm_head.weight']
        self.norm = w['model.norm.weight']
        self.layers = []
        for l in range(self.L):
            p = f'model.layers.{l}.'
            has_bias = p + 'self_attn.q_proj.bias' in w
            self.layers.append({
                'in_norm': w[p + 'input_layernorm.weight'],
                'qkv': torch.cat([w[p + 'self_attn.q_proj.weight'], w[p + 'self_attn.k_proj.weight'],
                                  w[p + 'self_attn.v_proj.weight']]),
                'qkv_b': torch.cat([w[p + 'self_attn.q_proj.bias'], w[p + 'self_attn.k_proj.bias'],
                                    w[p + 'self_attn.v_proj.bias']]) if has_bias else None,
                'o': w[p + 'self_attn.o_proj.weight'],
                'post_norm': w[p + 'post_attention_layernorm.weight'],
                'gate_up': torch.cat([w[p + 'mlp.gate_proj.weight'], w[p + 'mlp.up_proj.weight']]),
                'down': w[p + 'mlp.down_proj.weight'],
            })
        del w
        self.inv_freq = rope_inv_freq(cfg, self.dh)
        self.weight_bytes = sum(t.numel() * 4 for t in [self.embed, self.norm]) + sum(
            sum(t.numel() * 4 for t in layer.values() if t is not None) for layer in self.layers)

    def rms(self, x, g):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * g

    def rope(self, x, pos):
        # x: [T, heads, dh]; rotate-half layout (HF).
        ang = (torch.tensor(pos, dtype=torch.float64)[:, None] * self.inv_freq[None, :])
        cos = torch.cat([ang.cos(), ang.cos()], -1).to(torch.float32)[:, None, :]
        sin = torch.cat([ang.sin(), ang.sin()], -1).to(torch.float32)[:, None, :]
        half = self.dh // 2
        rot = torch.cat([-x[..., half:], x[..., :half]], -1)
        return x * cos + rot * sin

    def forward(self, ids, cache):
        """ids: list of new token ids; cache: list of (k, v) per layer ([Tk, Hkv, dh]) or None.
        Returns logits of the last position [V] and the new cache."""
        T = len(ids)
        start = 0 if cache[0] is None else cache[0][0].shape[0]
        pos = list(range(start, start + T))
        x = self.embed[torch.tensor(ids)]
        qw, kw = self.H * self.dh, self.Hkv * self.dh
        group = self.H // self.Hkv
        scale = 1.0 / math.sqrt(self.dh)
        mask = None
        if T > 1:
            mask = torch.full((T, start + T), float('-inf')).triu(start + 1)
        for l, layer in enumerate(self.layers):
            h = self.rms(x, layer['in_norm'])
            qkv = torch.nn.functional.linear(h, layer['qkv'], layer['qkv_b'])
            q = self.rope(qkv[:, :qw].reshape(T, self.H, self.dh), pos)
            k = self.rope(qkv[:, qw:qw + kw].reshape(T, self.Hkv, self.dh), pos)
            v = qkv[:, qw + kw:].reshape(T, self.Hkv, self.dh)
            if cache[l] is not None:
                k = torch.cat([cache[l][0], k])
                v = torch.cat([cache[l][1], v])
            cache[l] = (k, v)
            kk = k.repeat_interleave(group, dim=1).transpose(0, 1)  # [H, Tk, dh]
            vv = v.repeat_interleave(group, dim=1).transpose(0, 1)
            scores = torch.matmul(q.transpose(0, 1), kk.transpose(1, 2)) * scale  # [H, T, Tk]
            if mask is not None:
                scores = scores + mask
            z = torch.matmul(scores.softmax(-1), vv).transpose(0, 1).reshape(T, qw)
            x = x + torch.nn.functional.linear(z, layer['o'])
            h = self.rms(x, layer['post_norm'])
            gu = torch.nn.functional.linear(h, layer['gate_up'])
            g, u = gu.chunk(2, dim=-1)
            x = x + torch.nn.functional.linear(torch.nn.functional.silu(g) * u, layer['down'])
        last = self.rms(x[-1:], self.norm)
        return torch.nn.functional.linear(last, self.lm_head)[0], cache


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('dir')
    ap.add_argument('--prompt', type=int, default=128)
    ap.add_argument('--decode', type=int, default=32)
    ap.add_argument('--warmup', type=int, default=4, help='untimed decode steps before the timed ones')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--repeats', type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    model = Model(args.dir)
    load_s = time.perf_counter() - t0
    V = model.embed.shape[0]
    prompt = [(i * 7919 + 13) % V for i in range(args.prompt)]

    with torch.no_grad():
        times = []
        for _ in range(args.repeats + 1):  # the first run is warm-up
            t = time.perf_counter()
            logits, cache = model.forward(prompt, [None] * model.L)
            times.append(time.perf_counter() - t)
        prefill_s = sorted(times[1:])[len(times[1:]) // 2]
        greedy = [int(logits.argmax())]
        t = time.perf_counter()
        for step in range(args.warmup + args.decode):
            if step == args.warmup:
                t = time.perf_counter()
            logits, cache = model.forward([greedy[-1]], cache)
            greedy.append(int(logits.argmax()))
        decode_s = time.perf_counter() - t

    print(json.dumps({
        'torch': torch.__version__,
        'threads': args.threads,
        'load_s': load_s,
        'prompt_tokens': args.prompt,
        'prefill_s': prefill_s,
        'prefill_tokens_per_s': args.prompt / prefill_s,
        'decode_steps': args.decode,
        'decode_tokens_per_s': args.decode / decode_s,
        'greedy': greedy,
        'weight_bytes_f32': model.weight_bytes,
    }))


if __name__ == '__main__':
    main()
