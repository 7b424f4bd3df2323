#!/usr/bin/python3
"""PyTorch side of bench/train.ts: eager BERT token classification, trained on the same batches.

A plain torch.nn BertForTokenClassification (the parameter names of Hugging Face's, so a
tokentag safetensors file loads into it by name): word + position + token-type embeddings,
LayerNorm (eps 1e-12), post-LN encoder layers with the exact (erf) GELU, dropout, a linear
head; CrossEntropyLoss(ignore_index=-100); torch.optim.AdamW with the Hugging Face Trainer's
no-decay groups (bias, LayerNorm.weight) and clip_grad_norm_ before every step.

bench/train.ts writes the padded batches it trains on (and, optionally, its initial weights as
safetensors) and spawns this script with the same shape, hyperparameters and step counts. The
script prints one JSON object on stdout: {steps_per_s, tokens_per_s, padded_tokens_per_s,
peak_rss, losses, ...}. Only the standard library, numpy and torch are used.

    /usr/bin/python3 bench/train_torch.py --spec /tmp/x/spec.json
"""
import argparse
import json
import math
import resource
import struct
import sys
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


# ---- the model -----------------------------------------------------------------------------


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"], padding_idx=c["pad_token_id"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, input_ids):
        seq = input_ids.shape[1]
        positions = torch.arange(seq, dtype=torch.long, device=input_ids.device)
        types = torch.zeros_like(input_ids)  # no token_type_ids given: all type 0, as in HF
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(types) + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(x))


class SelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.heads = c["num_attention_heads"]
        self.head_size = h // self.heads
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(h, h)
        self.value = nn.Linear(h, h)
        self.dropout = nn.Dropout(c["attention_probs_dropout_prob"])

    def split(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.head_size).permute(0, 2, 1, 3)

    def forward(self, x, additive_mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size) + additive_mask
        probs = self.dropout(F.softmax(scores, dim=-1))
        context = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return context.view(x.shape)


class SelfOutput(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, h, x):
        return self.LayerNorm(self.dropout(self.dense(h)) + x)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = SelfOutput(c)

    def forward(self, x, additive_mask):
        return self.output(self.self(x, additive_mask), x)


class Intermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return F.gelu(self.dense(x))  # exact erf GELU


class Output(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["intermediate_size"], c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(self, h, x):
        return self.LayerNorm(self.dropout(self.dense(h)) + x)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = Output(c)

    def forward(self, x, additive_mask):
        a = self.attention(x, additive_mask)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, x, additive_mask):
        for layer in self.layer:
            x = layer(x, additive_mask)
        return x


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)

    def forward(self, input_ids, attention_mask):
        # HF's get_extended_attention_mask: (1 - mask) * float32 min, broadcast over heads and queries.
        additive = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        return self.encoder(self.embeddings(input_ids), additive)


class BertForTokenClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bert = Bert(c)
        self.dropout = nn.Dropout(c["hidden_dropout_prob"])
        self.classifier = nn.Linear(c["hidden_size"], c["num_labels"])
        self.loss = nn.CrossEntropyLoss(ignore_index=-100)
        self.num_labels = c["num_labels"]
        self._init(c["initializer_range"], c["pad_token_id"])

    def _init(self, std, pad):
        # HF's _init_weights: normal(0, std) for linear weights and embeddings, zero biases,
        # LayerNorm weight 1 / bias 0, the padding row zero.
        for m in self.modules():
            if isinstance(m, nn.Linear):
                m.weight.data.normal_(0.0, std)
                m.bias.data.zero_()
            elif isinstance(m, nn.Embedding):
                m.weight.data.normal_(0.0, std)
                if m.padding_idx is not None:
                    m.weight.data[m.padding_idx].zero_()
            elif isinstance(m, nn.LayerNorm):
                m.weight.data.fill_(1.0)
                m.bias.data.zero_()

    def forward(self, input_ids, attention_mask, labels):
        logits = self.classifier(self.dropout(self.bert(input_ids, attention_mask)))
        return self.loss(logits.view(-1, self.num_labels), labels.view(-1))


# ---- files from bench/train.ts -------------------------------------------------------------


def load_safetensors_into(model, path):
    """A tiny safetensors reader: 8-byte little-endian header size, a JSON header, raw data.
    Each F32 tensor is read straight into the parameter of the same name (no extra copy)."""
    params = dict(model.named_parameters())
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        start = 8 + n
        header.pop("__metadata__", None)
        missing = sorted(set(params) - set(header))
        unexpected = sorted(set(header) - set(params))
        if missing or unexpected:
            raise SystemExit(f"{path}: missing {missing[:5]}, unexpected {unexpected[:5]}")
        for name, info in header.items():
            p = params[name]
            if info["dtype"] != "F32" or list(info["shape"]) != list(p.shape):
                raise SystemExit(f"{path}: {name} is {info['dtype']} {info['shape']}, the model has F32 {list(p.shape)}")
            begin, end = info["data_offsets"]
            buf = p.data.numpy().reshape(-1).view(np.uint8)
            if end - begin != buf.nbytes:
                raise SystemExit(f"{path}: {name} has {end - begin} bytes, expected {buf.nbytes}")
            f.seek(start + begin)
            if f.readinto(memoryview(buf)) != buf.nbytes:
                raise SystemExit(f"{path}: {name} is truncated")


def load_batches(spec):
    """The batches as bench/train.ts collated them: int64 little-endian input_ids,
    attention_mask, labels ([rows, cols] each), one batch after the other."""
    out = []
    with open(spec["batches_file"], "rb") as f:
        for rows, cols in spec["batch_dims"]:
            n = rows * cols
            t = []
            for _ in range(3):
                a = np.frombuffer(f.read(8 * n), dtype="<i8")
                if a.size != n:
                    raise SystemExit(f"{spec['batches_file']}: truncated")
                t.append(torch.from_numpy(a.copy()).view(rows, cols))
            out.append(tuple(t))
    return out


def blas_library():
    """The BLAS library this process loaded (Debian's torch links the generic libblas.so.3,
    which update-alternatives points at the reference BLAS or at OpenBLAS)."""
    import os

    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                name = os.path.basename(path).lower()
                if "blas" in name or "mkl" in name:
                    libs.add(os.path.realpath(path))
    except OSError:
        return "unknown"
    return ", ".join(sorted(libs)) or "none found"


# ---- the run -------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spec", required=True, help="JSON written by bench/train.ts")
    args = ap.parse_args()
    with open(args.spec) as f:
        spec = json.load(f)
    c, h = spec["config"], spec["hyper"]

    torch.set_num_threads(h["threads"])
    torch.manual_seed(h["seed"])
    t0 = time.perf_counter()
    model = BertForTokenClassification(c)
    if spec.get("weights_file"):
        load_safetensors_into(model, spec["weights_file"])
    model.train()
    # The Hugging Face Trainer's groups: no weight decay for biases and LayerNorm weights.
    no_decay = ("bias", "LayerNorm.weight")
    named = list(model.named_parameters())
    groups = [
        {"params": [p for n, p in named if not any(nd in n for nd in no_decay)], "weight_decay": h["weight_decay"]},
        {"params": [p for n, p in named if any(nd in n for nd in no_decay)], "weight_decay": 0.0},
    ]
    opt_kwargs = dict(lr=h["lr"], betas=(0.9, 0.999), eps=1e-8)
    if h.get("foreach") is not None:
        opt_kwargs["foreach"] = h["foreach"]
    optimizer = torch.optim.AdamW(groups, **opt_kwargs)
    params = [p for _, p in named]
    batches = load_batches(spec)
    setup_s = time.perf_counter() - t0

    # Seconds per phase over the timed steps (perf_counter is cheap next to a step; eager
    # PyTorch runs each phase synchronously on the CPU, so the split is exact).
    phase_s = {"forward": 0.0, "backward": 0.0, "clip": 0.0, "optimizer": 0.0}

    def step(batch, timed=False):
        ids, mask, labels = batch
        t0 = time.perf_counter()
        loss = model(ids, mask, labels)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        grad_norm = torch.nn.utils.clip_grad_norm_(params, h["max_grad_norm"])
        t3 = time.perf_counter()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        t4 = time.perf_counter()
        if timed:
            phase_s["forward"] += t1 - t0
            phase_s["backward"] += t2 - t1
            phase_s["clip"] += t3 - t2
            phase_s["optimizer"] += t4 - t3
        return loss.item(), float(grad_norm)

    warmup, steps = h["warmup"], h["steps"]
    if len(batches) != warmup + steps:
        raise SystemExit(f"{len(batches)} batches for {warmup} + {steps} steps")
    losses, norms = [], []
    for b in batches[:warmup]:
        l, g = step(b)
        losses.append(l)
        norms.append(g)
    t1 = time.perf_counter()
    for b in batches[warmup:]:
        l, g = step(b, timed=True)
        losses.append(l)
        norms.append(g)
    elapsed = time.perf_counter() - t1
    timed = batches[warmup:]
    real = sum(int(m.sum()) for _, m, _ in timed)
    padded = sum(m.numel() for _, m, _ in timed)
    json.dump(
        {
            "torch_version": torch.__version__,
            "threads": torch.get_num_threads(),
            "blas": blas_library(),
            "setup_s": setup_s,
            "elapsed_s": elapsed,
            "steps_per_s": steps / elapsed,
            "tokens_per_s": real / elapsed,
            "padded_tokens_per_s": padded / elapsed,
            "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,  # bytes (Linux reports KiB)
            "losses": losses,
            "grad_norms": norms,
            "phase_ms_per_step": {k: v * 1000 / max(1, steps) for k, v in phase_s.items()},
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
