#!/usr/bin/python3
"""Reference fixtures for tokentag's checkpoint loading and transformer forward pass.

Writes small, randomly initialised token-classification checkpoints in Hugging Face
layout (config.json + model.safetensors) together with reference logits computed by an
independent PyTorch implementation written here with plain ``torch.nn`` modules, plus a
few ``torch.save`` pickles for the safe PyTorch checkpoint reader.

The architectures follow the semantics of Hugging Face transformers' modeling code
(modeling_bert.py, modeling_distilbert.py, modeling_roberta.py, modeling_xlm_roberta.py,
modeling_electra.py; read from transformers 5.17.0, cross-checked against 4.x) in eval
mode: dropout is a no-op, attention is the "eager" path (scores * head_dim**-0.5 plus an
additive mask of finfo.min at padded keys, softmax), GELU is the exact erf form, LayerNorms
are post-LN (after each residual add).

Numerics: weights are drawn and stored as float32; the forward pass runs in float64 on
those exact float32 values and the logits are rounded to float32 only when written. A
second, purely functional float64 forward pass (matrix ops straight from the state dict)
must agree with the module-based one to 1e-12, which guards the module wiring.

Regenerate (Debian's PyTorch, only visible to /usr/bin/python3):

    /usr/bin/python3 scripts/make-model-fixtures.py

Optional checks when extra packages are importable (never required):
  * ``safetensors``: the hand-written safetensors writer must be byte-identical to
    ``safetensors.torch.save(..., metadata={"format": "pt"})`` and read back identically;
  * ``--check-configs`` with ``transformers`` importable: every config.json must equal the
    JSON that transformers' config classes write (``to_json_string()`` as used by
    ``save_pretrained``), ignoring only ``transformers_version``.

The output is deterministic: re-running rewrites byte-identical files.
"""

import os

# Must be set before torch is imported.
os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
os.environ["OPENBLAS_NUM_THREADS"] = "2"
os.environ["OMP_NUM_THREADS"] = "2"

import argparse
import collections
import copy
import io
import json
import math
import struct
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(0)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "test" / "fixtures" / "models"

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
# The transformers release whose config serialisation the config.json files reproduce.
TRANSFORMERS_VERSION = "5.17.0"

# --------------------------------------------------------------------------------------
# config.json — exactly the fields transformers 5.17.0 writes from save_pretrained()
# (to_json_string(use_diff=True), sort_keys=True, indent=2, after save_pretrained sets
# `dtype` and `architectures`). Verified with --check-configs against transformers itself.
# --------------------------------------------------------------------------------------


def _labels():
    id2label = {str(i): l for i, l in enumerate(LABELS)}
    label2id = {l: i for i, l in enumerate(LABELS)}
    return id2label, label2id


def bert_like_config(model_type, architecture, *, with_labels=True, **over):
    cfg = {
        "add_cross_attention": False,
        "architectures": [architecture],
        "attention_probs_dropout_prob": 0.1,
        "bos_token_id": None,
        "classifier_dropout": None,
        "dtype": "float32",
        "eos_token_id": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 64,
        "is_decoder": False,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 64,
        "model_type": model_type,
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "pad_token_id": 0,
        "tie_word_embeddings": True,
        "transformers_version": TRANSFORMERS_VERSION,
        "type_vocab_size": 2,
        "use_cache": True,
        "vocab_size": 100,
    }
    if with_labels:
        cfg["id2label"], cfg["label2id"] = _labels()
    cfg.update(over)
    return cfg


def distilbert_config():
    id2label, label2id = _labels()
    return {
        "activation": "gelu",
        "architectures": ["DistilBertForTokenClassification"],
        "attention_dropout": 0.1,
        "bos_token_id": None,
        "dim": 32,
        "dropout": 0.1,
        "dtype": "float32",
        "eos_token_id": None,
        "hidden_dim": 64,
        "id2label": id2label,
        "initializer_range": 0.02,
        "label2id": label2id,
        "max_position_embeddings": 64,
        "model_type": "distilbert",
        "n_heads": 4,
        "n_layers": 2,
        "pad_token_id": 0,
        "qa_dropout": 0.1,
        "seq_classif_dropout": 0.2,
        "sinusoidal_pos_embds": False,
        "tie_word_embeddings": True,
        "transformers_version": TRANSFORMERS_VERSION,
        "vocab_size": 100,
    }


ROBERTA_OVERRIDES = dict(
    bos_token_id=0,
    eos_token_id=2,
    pad_token_id=1,
    max_position_embeddings=66,  # 64 usable positions + padding_idx + 1
    type_vocab_size=1,
    layer_norm_eps=1e-5,
)

CONFIGS = {
    "bert": bert_like_config("bert", "BertForTokenClassification"),
    "bert-base-checkpoint": bert_like_config("bert", "BertModel", with_labels=False),
    "distilbert": distilbert_config(),
    "roberta": bert_like_config("roberta", "RobertaForTokenClassification", **ROBERTA_OVERRIDES),
    "xlm-roberta": bert_like_config("xlm-roberta", "XLMRobertaForTokenClassification", **ROBERTA_OVERRIDES),
    "electra": bert_like_config(
        "electra",
        "ElectraForTokenClassification",
        embedding_size=16,
        summary_activation="gelu",
        summary_last_dropout=0.1,
        summary_type="first",
        summary_use_proj=True,
    ),
}
CONFIGS["roberta-legacy-position-ids"] = CONFIGS["roberta"]


def config_json(cfg):
    # PretrainedConfig.to_json_string: json.dumps(d, indent=2, sort_keys=True) + "\n"
    return json.dumps(cfg, indent=2, sort_keys=True) + "\n"


# --------------------------------------------------------------------------------------
# The model, as plain torch.nn modules whose attribute names reproduce HF's state-dict keys.
# --------------------------------------------------------------------------------------


class Embeddings(nn.Module):
    """BERT / RoBERTa / ELECTRA embeddings: word + token_type + position, then LayerNorm."""

    def __init__(self, c, roberta_positions):
        super().__init__()
        e = c.get("embedding_size", c["hidden_size"])
        self.word_embeddings = nn.Embedding(c["vocab_size"], e)
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], e)
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], e)
        self.LayerNorm = nn.LayerNorm(e, eps=c["layer_norm_eps"])
        self.roberta_positions = roberta_positions
        self.padding_idx = c["pad_token_id"]

    def position_ids(self, input_ids):
        if self.roberta_positions:
            # fairseq make_positions: non-pad tokens count up from padding_idx + 1, pads get padding_idx.
            mask = input_ids.ne(self.padding_idx).long()
            return torch.cumsum(mask, dim=1) * mask + self.padding_idx
        return torch.arange(input_ids.shape[1]).unsqueeze(0).expand_as(input_ids)

    def forward(self, input_ids, token_type_ids):
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        x = (
            self.word_embeddings(input_ids)
            + self.token_type_embeddings(token_type_ids)
            + self.position_embeddings(self.position_ids(input_ids))
        )
        return self.LayerNorm(x)


def attend(q, k, v, mask, n_heads):
    """Eager multi-head attention: softmax(q k^T / sqrt(d) + additive mask) v."""
    b, s, h = q.shape
    d = h // n_heads
    split = lambda t: t.view(b, s, n_heads, d).transpose(1, 2)  # noqa: E731
    q, k, v = split(q), split(k), split(v)
    scores = torch.matmul(q, k.transpose(2, 3)) * (d**-0.5)
    additive = (1.0 - mask[:, None, None, :].to(scores.dtype)) * torch.finfo(scores.dtype).min
    probs = torch.softmax(scores + additive, dim=-1)
    return torch.matmul(probs, v).transpose(1, 2).reshape(b, s, h)


class SelfAttention(nn.Module):  # BertSelfAttention
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(h, h)
        self.value = nn.Linear(h, h)
        self.n_heads = c["num_attention_heads"]

    def forward(self, x, mask):
        return attend(self.query(x), self.key(x), self.value(x), mask, self.n_heads)


class DenseLayerNorm(nn.Module):  # BertSelfOutput / BertOutput: LayerNorm(dense(x) + residual)
    def __init__(self, n_in, c):
        super().__init__()
        self.dense = nn.Linear(n_in, c["hidden_size"])
        self.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class Attention(nn.Module):  # BertAttention
    def __init__(self, c):
        super().__init__()
        self.self = SelfAttention(c)
        self.output = DenseLayerNorm(c["hidden_size"], c)

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class Intermediate(nn.Module):  # BertIntermediate
    def __init__(self, c):
        super().__init__()
        assert c["hidden_act"] == "gelu"
        self.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])

    def forward(self, x):
        return F.gelu(self.dense(x))  # exact (erf) GELU, HF's "gelu"


class Layer(nn.Module):  # BertLayer (post-LN)
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c)
        self.intermediate = Intermediate(c)
        self.output = DenseLayerNorm(c["intermediate_size"], c)

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.output(self.intermediate(a), a)


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class Pooler(nn.Module):  # BertPooler (only in the base checkpoint; unused by token classifiers)
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden_size"], c["hidden_size"])

    def forward(self, x):
        return torch.tanh(self.dense(x[:, 0]))


class Backbone(nn.Module):
    """BertModel / RobertaModel / XLMRobertaModel / ElectraModel."""

    def __init__(self, c, *, roberta_positions=False, pooler=False):
        super().__init__()
        self.embeddings = Embeddings(c, roberta_positions)
        if c.get("embedding_size", c["hidden_size"]) != c["hidden_size"]:
            self.embeddings_project = nn.Linear(c["embedding_size"], c["hidden_size"])  # ELECTRA
        self.encoder = Encoder(c)
        if pooler:
            self.pooler = Pooler(c)

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        x = self.embeddings(input_ids, token_type_ids)
        if hasattr(self, "embeddings_project"):
            x = self.embeddings_project(x)
        return self.encoder(x, attention_mask)


# DistilBERT ---------------------------------------------------------------------------


class DistilEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["dim"])
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["dim"])
        self.LayerNorm = nn.LayerNorm(c["dim"], eps=1e-12)  # hard-coded in HF

    def forward(self, input_ids):
        pos = torch.arange(input_ids.shape[1]).unsqueeze(0).expand_as(input_ids)
        return self.LayerNorm(self.word_embeddings(input_ids) + self.position_embeddings(pos))


class DistilSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["dim"]
        self.q_lin = nn.Linear(d, d)
        self.k_lin = nn.Linear(d, d)
        self.v_lin = nn.Linear(d, d)
        self.out_lin = nn.Linear(d, d)
        self.n_heads = c["n_heads"]

    def forward(self, x, mask):
        return self.out_lin(attend(self.q_lin(x), self.k_lin(x), self.v_lin(x), mask, self.n_heads))


class DistilFFN(nn.Module):
    def __init__(self, c):
        super().__init__()
        assert c["activation"] == "gelu"
        self.lin1 = nn.Linear(c["dim"], c["hidden_dim"])
        self.lin2 = nn.Linear(c["hidden_dim"], c["dim"])

    def forward(self, x):
        return self.lin2(F.gelu(self.lin1(x)))


class DistilBlock(nn.Module):  # TransformerBlock
    def __init__(self, c):
        super().__init__()
        self.attention = DistilSelfAttention(c)
        self.sa_layer_norm = nn.LayerNorm(c["dim"], eps=1e-12)
        self.ffn = DistilFFN(c)
        self.output_layer_norm = nn.LayerNorm(c["dim"], eps=1e-12)

    def forward(self, x, mask):
        a = self.sa_layer_norm(self.attention(x, mask) + x)
        return self.output_layer_norm(self.ffn(a) + a)


class DistilTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([DistilBlock(c) for _ in range(c["n_layers"])])

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


class DistilBackbone(nn.Module):  # DistilBertModel
    def __init__(self, c):
        super().__init__()
        self.embeddings = DistilEmbeddings(c)
        self.transformer = DistilTransformer(c)

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        assert token_type_ids is None
        return self.transformer(self.embeddings(input_ids), attention_mask)


class TokenClassifier(nn.Module):
    """XxxForTokenClassification: backbone -> (dropout: identity in eval) -> classifier."""

    def __init__(self, prefix, backbone, hidden, num_labels):
        super().__init__()
        self.prefix = prefix
        setattr(self, prefix, backbone)
        self.classifier = nn.Linear(hidden, num_labels)

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        h = getattr(self, self.prefix)(input_ids, attention_mask, token_type_ids)
        return self.classifier(h), h


def build(arch):
    c = CONFIGS[arch]
    n = len(LABELS)
    if arch == "distilbert":
        return TokenClassifier("distilbert", DistilBackbone(c), c["dim"], n)
    if arch == "bert-base-checkpoint":
        return Backbone(c, pooler=True)
    prefix = {"bert": "bert", "electra": "electra"}.get(arch, "roberta")
    roberta = prefix == "roberta"
    return TokenClassifier(prefix, Backbone(c, roberta_positions=roberta), c["hidden_size"], n)


# --------------------------------------------------------------------------------------
# Random weights: N(0, 0.2) for matrices, embeddings and biases; LayerNorm gamma 1 + N(0, 0.2),
# beta N(0, 0.2). Drawn in float32 from a per-architecture generator in sorted-name order, so the
# values do not depend on module registration order or on the other fixtures.
# --------------------------------------------------------------------------------------

SEEDS = {"bert": 1001, "distilbert": 1002, "roberta": 1003, "xlm-roberta": 1004, "electra": 1005, "pooler": 1006}
STD = 0.2


def is_layer_norm(name):
    owner = name.rsplit(".", 1)[0]
    return owner.endswith("LayerNorm") or owner.endswith("layer_norm")


def randomise(model, seed):
    g = torch.Generator().manual_seed(seed)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name in sorted(params):
            p = params[name]
            noise = torch.randn(p.shape, generator=g, dtype=torch.float32) * STD
            if is_layer_norm(name) and name.endswith(".weight"):
                noise += 1.0
            p.copy_(noise)


# --------------------------------------------------------------------------------------
# Independent functional forward (float64, straight from the state dict) to cross-check the
# module wiring above.
# --------------------------------------------------------------------------------------


def functional_forward(arch, sd, input_ids, attention_mask, token_type_ids):
    c = CONFIGS[arch]
    W = {k: v.double() for k, v in sd.items()}

    def lin(x, p):
        return x @ W[p + ".weight"].T + W[p + ".bias"]

    def ln(x, p, eps):
        mu = x.mean(-1, keepdim=True)
        var = ((x - mu) ** 2).mean(-1, keepdim=True)
        return (x - mu) / torch.sqrt(var + eps) * W[p + ".weight"] + W[p + ".bias"]

    def gelu(x):
        return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))

    def mha(q, k, v, heads):
        b, s, h = q.shape
        d = h // heads
        out = torch.zeros(b, s, h, dtype=torch.float64)
        for bi in range(b):
            valid = [j for j in range(s) if attention_mask[bi][j] == 1]
            for hi in range(heads):
                sl = slice(hi * d, (hi + 1) * d)
                sc = q[bi, :, sl] @ k[bi, valid, sl].T / math.sqrt(d)  # [s, n_valid]
                pr = torch.exp(sc - sc.max(-1, keepdim=True).values)
                pr = pr / pr.sum(-1, keepdim=True)
                out[bi, :, sl] = pr @ v[bi, valid, sl]
        return out

    ids = torch.tensor(input_ids)
    b, s = ids.shape
    if arch == "distilbert":
        P = "distilbert."
        x = W[P + "embeddings.word_embeddings.weight"][ids] + W[P + "embeddings.position_embeddings.weight"][torch.arange(s)]
        x = ln(x, P + "embeddings.LayerNorm", 1e-12)
        for i in range(c["n_layers"]):
            L = f"{P}transformer.layer.{i}."
            a = lin(mha(lin(x, L + "attention.q_lin"), lin(x, L + "attention.k_lin"), lin(x, L + "attention.v_lin"), c["n_heads"]), L + "attention.out_lin")
            a = ln(a + x, L + "sa_layer_norm", 1e-12)
            f = lin(gelu(lin(a, L + "ffn.lin1")), L + "ffn.lin2")
            x = ln(f + a, L + "output_layer_norm", 1e-12)
    else:
        P = {"bert": "bert.", "electra": "electra."}.get(arch, "roberta.")
        eps = c["layer_norm_eps"]
        if P == "roberta.":
            pad = c["pad_token_id"]
            pos = []
            for row in input_ids:
                n, r = 0, []
                for t in row:
                    if t == pad:
                        r.append(pad)
                    else:
                        n += 1
                        r.append(pad + n)
                pos.append(r)
            pos = torch.tensor(pos)
        else:
            pos = torch.arange(s).repeat(b, 1)
        tt = torch.tensor(token_type_ids) if token_type_ids is not None else torch.zeros_like(ids)
        x = W[P + "embeddings.word_embeddings.weight"][ids] + W[P + "embeddings.position_embeddings.weight"][pos] + W[P + "embeddings.token_type_embeddings.weight"][tt]
        x = ln(x, P + "embeddings.LayerNorm", eps)
        if P + "embeddings_project.weight" in W:
            x = lin(x, P + "embeddings_project")
        for i in range(c["num_hidden_layers"]):
            L = f"{P}encoder.layer.{i}."
            ctx = mha(lin(x, L + "attention.self.query"), lin(x, L + "attention.self.key"), lin(x, L + "attention.self.value"), c["num_attention_heads"])
            a = ln(lin(ctx, L + "attention.output.dense") + x, L + "attention.output.LayerNorm", eps)
            f = lin(gelu(lin(a, L + "intermediate.dense")), L + "output.dense")
            x = ln(f + a, L + "output.LayerNorm", eps)
    return lin(x, "classifier"), x


# --------------------------------------------------------------------------------------
# safetensors writer (format: u64 LE header length, JSON header padded with spaces to a multiple
# of 8, raw LE data). Tensor order and header layout follow the Rust writer: by dtype (descending
# in its enum order), then by name; "__metadata__" first.
# --------------------------------------------------------------------------------------

ST_DTYPES = {
    torch.float64: ("F64", 12),
    torch.int64: ("I64", 13),
    torch.float32: ("F32", 11),
    torch.int32: ("I32", 9),
    torch.bfloat16: ("BF16", 8),
    torch.float16: ("F16", 7),
    torch.int16: ("I16", 5),
    torch.int8: ("I8", 2),
    torch.uint8: ("U8", 1),
    torch.bool: ("BOOL", 0),
}


def tensor_bytes(t):
    t = t.detach().contiguous().cpu()
    assert sys.byteorder == "little"
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def safetensors_bytes(tensors, metadata=None):
    names = sorted(tensors, key=lambda n: (-ST_DTYPES[tensors[n].dtype][1], n))
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    chunks, offset = [], 0
    for n in names:
        t = tensors[n]
        data = tensor_bytes(t)
        header[n] = {"dtype": ST_DTYPES[t.dtype][0], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(chunks)


def check_against_safetensors_lib(tensors, blob):
    try:
        from safetensors.torch import load, save
    except ImportError:
        return "skipped (safetensors not importable)"
    ref = save(tensors, metadata={"format": "pt"})
    assert ref == blob, "hand-written safetensors differs from safetensors.torch.save"
    back = load(blob)
    assert sorted(back) == sorted(tensors)
    for k, v in tensors.items():
        assert back[k].dtype == v.dtype and torch.equal(back[k], v), k
    return "byte-identical to safetensors.torch.save"


# --------------------------------------------------------------------------------------
# Inputs and output formatting
# --------------------------------------------------------------------------------------

# batch 2, sequence 7; the second row is padded (pad id) and masked.
INPUTS = {
    "bert": {
        "input_ids": [[2, 17, 45, 8, 93, 99, 3], [2, 33, 71, 3, 0, 0, 0]],
        "attention_mask": [[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0]],
        "token_type_ids": [[0, 0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 0, 0, 0]],
    },
    "distilbert": {
        "input_ids": [[2, 17, 45, 8, 93, 99, 3], [2, 33, 71, 3, 0, 0, 0]],
        "attention_mask": [[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0]],
    },
    "roberta": {
        "input_ids": [[0, 17, 45, 8, 93, 99, 2], [0, 33, 71, 2, 1, 1, 1]],
        "attention_mask": [[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0]],
    },
    "electra": {
        "input_ids": [[2, 17, 45, 8, 93, 99, 3], [2, 33, 71, 3, 0, 0, 0]],
        "attention_mask": [[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0, 0]],
        "token_type_ids": [[0, 0, 0, 1, 1, 1, 1], [0, 1, 1, 1, 0, 0, 0]],
    },
}
INPUTS["xlm-roberta"] = INPUTS["roberta"]
INPUTS["roberta-legacy-position-ids"] = INPUTS["roberta"]


def f32(x):
    """Exact float32 value as the shortest decimal that round-trips through float64."""
    return repr(float(torch.tensor(x, dtype=torch.float64).float().item()))


def expected_json(arch, inputs, logits, hidden, position_ids):
    lines = ["{"]
    lines.append(f'  "description": "Reference outputs of {CONFIGS[arch]["architectures"][0]} (eval mode) computed by scripts/make-model-fixtures.py: float64 forward on the stored float32 weights, rounded to float32. Includes the logits at padded positions (masked keys only).",')
    lines.append('  "compute_dtype": "float64",')
    lines.append(f'  "torch_version": {json.dumps(torch.__version__)},')
    for k in ("input_ids", "attention_mask", "token_type_ids"):
        if k in inputs:
            lines.append(f'  "{k}": {json.dumps(inputs[k])},')
    lines.append(f'  "position_ids": {json.dumps(position_ids)},')

    def tensor3(name, t, last):
        out = [f'  "{name}": [']
        for bi in range(t.shape[0]):
            out.append("    [")
            for si in range(t.shape[1]):
                row = ", ".join(f32(v) for v in t[bi, si].tolist())
                out.append(f"      [{row}]" + ("," if si < t.shape[1] - 1 else ""))
            out.append("    ]" + ("," if bi < t.shape[0] - 1 else ""))
        out.append("  ]" + ("" if last else ","))
        return out

    lines += tensor3("last_hidden_state", hidden, False)
    lines += tensor3("logits", logits, True)
    lines.append("}")
    return "\n".join(lines) + "\n"


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return len(data)


# --------------------------------------------------------------------------------------
# PyTorch pickle fixtures
# --------------------------------------------------------------------------------------


class Pwned:
    """Pickles as a call to os.system (GLOBAL 'posix system' on Linux). Harmless command, but any
    reader that unpickles it runs a shell: a safe reader must refuse the file."""

    def __reduce__(self):
        return (os.system, ("touch /tmp/pwned-tokentag",))


def fake_address(i):
    """A deterministic stand-in for a C++ storage address (15 digits, like real keys), scrambled so the
    sorted key order, which fixes the order of the raw storages, differs from first-use order."""
    return str(139_000_000_000_000 + ((i * 2654435761) % 2**32) * 16)


def canonicalise_legacy(data, element_size):
    """torch's legacy (non-zip) format names each storage by str(storage._cdata), i.e. its C++ address,
    so two runs write different bytes. Rename the keys to fake_address(0), fake_address(1), ... in
    order of first use in the main pickle, rewrite the sorted key list, and reorder the raw storages
    to match. Layout: pickle(magic) pickle(protocol) pickle(sys_info) main-pickle pickle(sorted keys)
    then per key: int64 LE element count + raw bytes."""
    import pickle
    import pickletools

    f = io.BytesIO(data)
    for _ in range(3):
        pickle.load(f)
    main_start = f.tell()
    ops = list(pickletools.genops(io.BytesIO(data[main_start:])))
    main_end = main_start + ops[-1][2] + 1  # STOP is one byte
    f.seek(main_end)
    keys = pickle.load(f)
    blobs = {}
    for k in keys:
        (n,) = struct.unpack("<q", f.read(8))
        blobs[k] = struct.pack("<q", n) + f.read(n * element_size)
    assert f.tell() == len(data), "unexpected trailing bytes in legacy file"

    rename = {}
    out = bytearray(data[:main_start])
    body = data[main_start:main_end]
    for idx, (op, arg, pos) in enumerate(ops):
        end = ops[idx + 1][2] if idx + 1 < len(ops) else len(body)
        if op.name in ("BINUNICODE", "SHORT_BINUNICODE") and arg in keys:
            new = rename.setdefault(arg, fake_address(len(rename)))
            enc = new.encode("ascii")
            out += b"X" + struct.pack("<I", len(enc)) + enc
        else:
            out += body[pos:end]
    assert set(rename) == set(keys)
    new_keys = sorted(rename.values())
    back = {v: k for k, v in rename.items()}
    out += pickle.dumps(new_keys, protocol=2)
    for k in new_keys:
        out += blobs[back[k]]
    return bytes(out)


class PwnedExec:
    """Same idea through GLOBAL 'builtins exec' (creates /tmp/pwned-tokentag if ever unpickled)."""

    def __reduce__(self):
        return (exec, ("open('/tmp/pwned-tokentag', 'w').close()",))


def torch_save_bytes(obj, *, legacy=False, archive_name=None):
    """torch.save into memory. For the zip format the record prefix is the file's stem when saving
    to a path (torch 1.13 writes '<stem>/data.pkl') and 'archive/' when saving to a file object."""
    if archive_name is None:
        buf = io.BytesIO()
        if legacy:
            torch.save(obj, buf, _use_new_zipfile_serialization=False)
            sizes = {v.element_size() for v in obj.values()}
            assert len(sizes) == 1
            return canonicalise_legacy(buf.getvalue(), sizes.pop())
        torch.save(obj, buf)
        return buf.getvalue()
    tmp = Path("/tmp") / f"tokentag-fixture-{os.getpid()}" / f"{archive_name}.bin"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    torch.save(obj, str(tmp))
    data = tmp.read_bytes()
    tmp.unlink()
    tmp.parent.rmdir()
    return data


def make_pytorch_bins(bert_model, summary):
    d = OUT / "pytorch-bin"
    sd = bert_model.state_dict()  # OrderedDict carrying `_metadata`, as model.state_dict() always does
    summary.append(("pytorch-bin/pytorch_model.bin", write(d / "pytorch_model.bin", torch_save_bytes(sd, archive_name="pytorch_model"))))
    summary.append(("pytorch-bin/pytorch_model.legacy.bin", write(d / "pytorch_model.legacy.bin", torch_save_bytes(sd, legacy=True))))

    evil = collections.OrderedDict()
    evil["classifier.bias"] = sd["classifier.bias"].clone()
    evil["payload"] = Pwned()
    summary.append(("pytorch-bin/malicious-os-system.bin", write(d / "malicious-os-system.bin", torch_save_bytes(evil, archive_name="malicious-os-system"))))

    evil2 = collections.OrderedDict()
    evil2["classifier.bias"] = sd["classifier.bias"].clone()
    evil2["payload"] = PwnedExec()
    summary.append(("pytorch-bin/malicious-builtins-exec.bin", write(d / "malicious-builtins-exec.bin", torch_save_bytes(evil2))))

    half = collections.OrderedDict()
    half["half.weight"] = torch.tensor(
        [[1.0, -2.5, 65504.0], [5.960464477539063e-08, -0.0, 0.0999755859375]], dtype=torch.float16
    )
    half["half.bias"] = torch.tensor([3.140625, -1.0], dtype=torch.float16)
    half["float.weight"] = torch.tensor([0.5, -0.25], dtype=torch.float32)
    summary.append(("pytorch-bin/float16.bin", write(d / "float16.bin", torch_save_bytes(half))))

    base = torch.arange(12, dtype=torch.float32).reshape(3, 4) - 5.5
    shared = collections.OrderedDict()
    shared["base"] = base  # offset 0, size [3, 4], stride [4, 1]
    shared["transposed"] = base.t()  # offset 0, size [4, 3], stride [1, 4]
    shared["slice"] = base[1:, 1:3]  # offset 5, size [2, 2], stride [4, 1]
    shared["column"] = base[:, 2]  # offset 2, size [3], stride [4]
    shared["other"] = torch.tensor([7.0, 8.0], dtype=torch.float32)  # a second storage
    for k in ("transposed", "slice", "column"):
        assert shared[k].storage().data_ptr() == base.storage().data_ptr()
    summary.append(("pytorch-bin/shared-storage.bin", write(d / "shared-storage.bin", torch_save_bytes(shared))))

    def desc(t):
        return {
            "dtype": str(t.dtype).replace("torch.", ""),
            "shape": list(t.shape),
            "storage_offset": t.storage_offset(),
            "stride": list(t.stride()),
            "values": t.float().tolist(),
        }

    meta = {
        "torch_version": torch.__version__,
        "float16.bin": {k: desc(v) for k, v in half.items()},
        "shared-storage.bin": {k: desc(v) for k, v in shared.items()},
        "malicious-os-system.bin": {"refuse": True, "global": "posix system", "argument": "touch /tmp/pwned-tokentag"},
        "malicious-builtins-exec.bin": {"refuse": True, "global": "builtins exec", "argument": "open('/tmp/pwned-tokentag', 'w').close()"},
        "pytorch_model.bin": {"same_tensors_as": "../bert/model.safetensors"},
        "pytorch_model.legacy.bin": {"same_tensors_as": "../bert/model.safetensors"},
    }
    summary.append(("pytorch-bin/expected.json", write(d / "expected.json", json.dumps(meta, indent=2) + "\n")))

    # Self-check: the benign files load back (torch's own unpickler) to the same tensors.
    for name, ref in (("pytorch_model.bin", sd), ("pytorch_model.legacy.bin", sd), ("float16.bin", half), ("shared-storage.bin", shared)):
        back = torch.load(str(d / name))
        assert list(back) == list(ref), name
        for k in ref:
            assert back[k].dtype == ref[k].dtype and torch.equal(back[k], ref[k]), (name, k)
        if name == "shared-storage.bin":
            assert back["transposed"].storage().data_ptr() == back["base"].storage().data_ptr()


# --------------------------------------------------------------------------------------


def check_configs_with_transformers():
    import transformers
    from transformers import AutoConfig

    for arch, cfg in CONFIGS.items():
        kwargs = {k: v for k, v in cfg.items() if k not in ("model_type", "transformers_version", "architectures", "dtype")}
        if "id2label" in kwargs:
            kwargs["id2label"] = {int(k): v for k, v in kwargs["id2label"].items()}
        hf = AutoConfig.for_model(cfg["model_type"], **kwargs)
        hf.dtype = cfg["dtype"]
        hf.architectures = cfg["architectures"]
        ours = json.loads(config_json(cfg))
        theirs = json.loads(hf.to_json_string())
        ours.pop("transformers_version")
        theirs.pop("transformers_version", None)
        assert ours == theirs, (arch, ours, theirs)
        # with the same transformers release the file must be byte-identical
        if transformers.__version__ == TRANSFORMERS_VERSION:
            assert hf.to_json_string() == config_json(cfg), arch
    return "config.json files equal transformers' own to_json_string()"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check-configs", action="store_true", help="compare config.json with transformers' config classes (needs transformers)")
    args = ap.parse_args()

    summary = []
    st_checks = set()

    def save_checkpoint(name, tensors):
        blob = safetensors_bytes(tensors, metadata={"format": "pt"})
        st_checks.add(check_against_safetensors_lib(tensors, blob))
        d = OUT / name
        summary.append((f"{name}/config.json", write(d / "config.json", config_json(CONFIGS[name]))))
        summary.append((f"{name}/model.safetensors", write(d / "model.safetensors", blob)))

    models = {}
    for arch in ("bert", "distilbert", "roberta", "xlm-roberta", "electra"):
        torch.manual_seed(SEEDS[arch])
        model = build(arch).eval()
        randomise(model, SEEDS[arch])
        models[arch] = model
        sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
        assert all(v.dtype == torch.float32 for v in sd.values())
        inp = INPUTS[arch]
        ids = torch.tensor(inp["input_ids"])
        mask = torch.tensor(inp["attention_mask"])
        tt = torch.tensor(inp["token_type_ids"]) if "token_type_ids" in inp else None
        m64 = copy.deepcopy(model).double().eval()
        with torch.no_grad():
            logits, hidden = m64(ids, mask, tt)
        flogits, fhidden = functional_forward(arch, sd, inp["input_ids"], inp["attention_mask"], inp.get("token_type_ids"))
        diff = max((logits - flogits).abs().max().item(), (hidden - fhidden).abs().max().item())
        assert diff < 1e-12, (arch, diff)
        # float32 forward for information: how far a plain float32 implementation lands
        with torch.no_grad():
            l32, _ = model(ids, mask, tt)
        d32 = (l32.double() - logits).abs().max().item()
        backbone = getattr(model, model.prefix)
        if arch == "distilbert":
            pos = torch.arange(ids.shape[1]).repeat(ids.shape[0], 1)
        else:
            pos = backbone.embeddings.position_ids(ids)
        save_checkpoint(arch, sd)
        summary.append((f"{arch}/expected.json", write(OUT / arch / "expected.json", expected_json(arch, inp, logits, hidden, pos.tolist()))))
        print(f"  {arch:12s} logits range [{logits.min().item():+.3f}, {logits.max().item():+.3f}]  module-vs-functional {diff:.1e}  float32-vs-float64 {d32:.1e}")

    # RoBERTa as saved by transformers < 4.31, which persisted the position_ids buffer (int64 [1, 66]).
    legacy = {k: v.detach().clone() for k, v in models["roberta"].state_dict().items()}
    legacy["roberta.embeddings.position_ids"] = torch.arange(CONFIGS["roberta"]["max_position_embeddings"], dtype=torch.int64).unsqueeze(0)
    save_checkpoint("roberta-legacy-position-ids", legacy)
    summary.append(("roberta-legacy-position-ids/expected.json", write(OUT / "roberta-legacy-position-ids" / "expected.json", (OUT / "roberta" / "expected.json").read_text())))

    # BERT base checkpoint as BertModel.save_pretrained writes it: no "bert." prefix, with the pooler,
    # no classifier. Encoder weights identical to the bert fixture; pooler weights from their own seed.
    base = build("bert-base-checkpoint").eval()
    randomise(base.pooler, SEEDS["pooler"])
    bert_sd = models["bert"].state_dict()
    base_sd = base.state_dict()
    for k in list(base_sd):
        if not k.startswith("pooler."):
            base_sd[k] = bert_sd["bert." + k].detach().clone()
    base.load_state_dict(base_sd)
    base_sd = {k: v.detach().clone() for k, v in base.state_dict().items()}
    assert set(base_sd) == {k[len("bert."):] for k in bert_sd if k.startswith("bert.")} | {"pooler.dense.weight", "pooler.dense.bias"}
    save_checkpoint("bert-base-checkpoint", base_sd)

    make_pytorch_bins(models["bert"], summary)

    if args.check_configs:
        print("  configs:", check_configs_with_transformers())
    print("  safetensors:", "; ".join(sorted(st_checks)))
    print(f"torch {torch.__version__}; wrote {len(summary)} files under {OUT.relative_to(ROOT)}:")
    for name, size in summary:
        print(f"  {size:8d}  {name}")
        assert size < 200_000, name


if __name__ == "__main__":
    main()
