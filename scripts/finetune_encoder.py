"""Fine-tune the sentence encoder on the classifier's labelled data (issue 10, item 6).

Why: the classifier's second opinion is an LR over FROZEN all-MiniLM-L6-v2
vectors; every change around it (data, weights, settings, a bigger frozen
encoder) moved the fresh real sets by noise. Fine-tuning the encoder on our
own intent / FAQ-topic labels is the one thing not tried. The result has the
same architecture, so the same graph and the same cost per unsure message.

Shipped (README, "Pretrained sentence embedding"): scripts/setup.sh builds
the environment ``.venv-ft`` (Python 3.11, requirements-ft.txt: torch from the
on-disk CPU wheel), then

    .venv/bin/python scripts/finetune_encoder.py export var/finetune_training.jsonl
    .venv-ft/bin/python scripts/finetune_encoder.py train var/finetune_training.jsonl \\
        --base build/embedding/all-MiniLM-L6-v2 --out build/embedding/all-MiniLM-L6-v2-ft

(``export``: data/nlu as the classifier reads it, in the project venv where
Rasa is), and the classifier reads the result (config.yml
``embedding_finetuned``). Two interpreters, one file: torch is imported only
where it is needed. Checks and experiments:

    # 1. the shipped SentenceEmbedder's vectors of a few sentences (project venv)
    .venv/bin/python scripts/finetune_encoder.py reference var/ref.npz
    # 2. this file's torch encoder must give the same vectors (cosine > 0.9999)
    .venv-ft/bin/python scripts/finetune_encoder.py check var/ref.npz
    # 3. one fine-tune per fold of the comparison (README, "Round nine")
    .venv/bin/python scripts/compare_embeddings.py --export-folds var/folds
    .venv-ft/bin/python scripts/finetune_encoder.py train var/folds/dev.jsonl --out var/ft/dev

The encoder mirrors clinic_core/nlp/bert_onnx.py (transformers' BertModel:
post-LayerNorm, exact GELU, absolute positions, token type 0, -10000 on
padding) followed by what sentence-transformers adds for this model: mean
pooling over the attention mask and L2 normalisation.

Recipe (plain classification fine-tuning, deterministic): the encoder's
normalised vector -> a cosine classifier (logits = SCALE x cos(vector, class
weight)), class weights started at each label's mean vector under the base
encoder, so the first steps do not push random-head noise into the encoder;
cross-entropy; AdamW (weight decay 0.01 except biases and LayerNorms),
encoder lr 3e-5, head lr 1e-3, linear warmup over 10% of the steps then
linear decay; batch 32, 3 epochs, at most 64 tokens; dropout as the model's
config (0.1); seed 0 for the shuffle, the dropout and everything else;
torch.set_num_threads(2) and torch.use_deterministic_algorithms(True).

Output: a directory with the base model's five files (only model.safetensors
changed: the same tensor names, shapes and dtype, the pooler unchanged), a
``manifest.yml`` for clinic_core.nlp.embedding.load_manifest with the new
file's SHA-256 and a ``finetune`` block saying what made it (base weights'
SHA-256, training data's SHA-256, recipe, torch version; no time, so two
runs write the same bytes), and the trained head
(``head.safetensors`` + ``head_labels.json``, read by compare_embeddings.py
``--head``; not in the manifest, the classifier does not use it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BASE_DIR = ROOT / "build" / "embedding" / "all-MiniLM-L6-v2"
BASE_MANIFEST = ROOT / "clinic_core" / "nlp" / "embedding_model.yml"
SMALL_FILES = (
    "config.json",
    "tokenizer.json",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
)
#: Sentences whose vectors the torch encoder must reproduce (check): short and
#: long, clinic-like and not; none is a client's message.
PROBES = (
    "Do you offer hot stone massage?",
    "how much is a 60 minute deep tissue session",
    "I'd like to book for Friday afternoon if there's space",
    "Can I come if I'm pregnant?",
    "The weather is lovely today.",
    "ok",
    "what are your opening hours on the weekend and is there parking nearby, "
    "because last time I could not find anywhere to leave the car",
)
RECIPE = {
    "objective": "cross-entropy, cosine classifier head started at label means",
    "scale": 20.0,
    "epochs": 3,
    "batch": 32,
    "max_tokens": 64,
    "lr_encoder": 3e-5,
    "lr_head": 1e-3,
    "weight_decay": 0.01,
    "warmup": 0.1,
    "seed": 0,
    "threads": 2,
}


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# --------------------------------------------------------------------------
# torch encoder (training side environment only)


def build_encoder(config: dict):
    """A BERT encoder module with the safetensors file's tensor names."""
    import torch
    from torch import nn

    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    eps = float(config["layer_norm_eps"])
    drop = float(config.get("hidden_dropout_prob", 0.1))
    attn_drop = float(config.get("attention_probs_dropout_prob", 0.1))
    if config.get("hidden_act") != "gelu" or config.get("model_type", "bert") != "bert":
        raise SystemExit("only BERT with exact GELU is implemented")

    class Embeddings(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.word_embeddings = nn.Embedding(int(config["vocab_size"]), hidden)
            self.position_embeddings = nn.Embedding(int(config["max_position_embeddings"]), hidden)
            self.token_type_embeddings = nn.Embedding(int(config["type_vocab_size"]), hidden)
            self.LayerNorm = nn.LayerNorm(hidden, eps=eps)
            self.dropout = nn.Dropout(drop)

        def forward(self, ids):
            positions = torch.arange(ids.shape[1], device=ids.device)
            x = (
                self.word_embeddings(ids)
                + self.position_embeddings(positions)[None]
                + self.token_type_embeddings.weight[0]
            )
            return self.dropout(self.LayerNorm(x))

    class SelfAttention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.query = nn.Linear(hidden, hidden)
            self.key = nn.Linear(hidden, hidden)
            self.value = nn.Linear(hidden, hidden)
            self.dropout = nn.Dropout(attn_drop)

        def forward(self, x, bias):
            b, s, _ = x.shape

            def split(t):
                return t.view(b, s, heads, hidden // heads).transpose(1, 2)

            q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
            scores = q @ k.transpose(-1, -2) / math.sqrt(hidden // heads) + bias
            context = self.dropout(scores.softmax(-1)) @ v
            return context.transpose(1, 2).reshape(b, s, hidden)

    class Output(nn.Module):
        def __init__(self, inner: int) -> None:
            super().__init__()
            self.dense = nn.Linear(inner, hidden)
            self.LayerNorm = nn.LayerNorm(hidden, eps=eps)
            self.dropout = nn.Dropout(drop)

        def forward(self, y, x):
            return self.LayerNorm(self.dropout(self.dense(y)) + x)

    class Attention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.self = SelfAttention()
            self.output = Output(hidden)

        def forward(self, x, bias):
            return self.output(self.self(x, bias), x)

    class Intermediate(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.dense = nn.Linear(hidden, int(config["intermediate_size"]))

        def forward(self, x):
            return nn.functional.gelu(self.dense(x))  # exact (erf) GELU

    class Layer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attention = Attention()
            self.intermediate = Intermediate()
            self.output = Output(int(config["intermediate_size"]))

        def forward(self, x, bias):
            x = self.attention(x, bias)
            return self.output(self.intermediate(x), x)

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layer = nn.ModuleList(Layer() for _ in range(int(config["num_hidden_layers"])))

    class SentenceEncoder(nn.Module):
        """(ids, mask) -> L2-normalised mean of the last hidden states."""

        def __init__(self) -> None:
            super().__init__()
            self.embeddings = Embeddings()
            self.encoder = Encoder()

        def forward(self, ids, mask):
            bias = (1.0 - mask[:, None, None, :].float()) * -10000.0
            x = self.embeddings(ids)
            for layer in self.encoder.layer:
                x = layer(x, bias)
            weights = mask[..., None].float()
            pooled = (x * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            return nn.functional.normalize(pooled, p=2, dim=-1)

    return SentenceEncoder()


def load_encoder(directory: Path):
    """(module, tokenizer, the file's full tensor dict) of a model directory."""
    import torch
    from safetensors.torch import load_file
    from tokenizers import Tokenizer

    config = json.loads((directory / "config.json").read_text())
    tensors = load_file(str(directory / "model.safetensors"))
    module = build_encoder(config)
    state = {k: v for k, v in tensors.items() if k in module.state_dict()}
    missing = set(module.state_dict()) - set(state)
    if missing:
        raise SystemExit(f"model.safetensors lacks {sorted(missing)[:3]}")
    module.load_state_dict(state, strict=True)
    module.to(torch.float32)
    tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
    tokenizer.no_padding()
    return module, tokenizer, tensors


def batch_tensors(tokenizer, texts, max_tokens: int):
    """Padded ids and mask of ``texts``, padded to the longest (as embed())."""
    import torch

    tokenizer.enable_truncation(max_length=max_tokens)
    encodings = [tokenizer.encode(t) for t in texts]
    width = max(len(e.ids) for e in encodings)
    ids = torch.zeros((len(texts), width), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, e in enumerate(encodings):
        ids[row, : len(e.ids)] = torch.tensor(e.ids)
        mask[row, : len(e.ids)] = 1
    return ids, mask


def embed(module, tokenizer, texts, max_tokens: int, batch: int = 64) -> np.ndarray:
    import torch

    module.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(texts), batch):
            ids, mask = batch_tensors(tokenizer, texts[start : start + batch], max_tokens)
            out.append(module(ids, mask).numpy())
    return np.vstack(out)


def serving_max_tokens(directory: Path) -> int:
    return int(json.loads((directory / "sentence_bert_config.json").read_text())["max_seq_length"])


def setup_torch(threads: int, seed: int) -> None:
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.use_deterministic_algorithms(True)


# --------------------------------------------------------------------------
# commands


def cmd_reference(args) -> int:
    """The shipped SentenceEmbedder's vectors of PROBES (project venv)."""
    sys.path.insert(0, str(ROOT))
    from clinic_core.nlp.embedding import SentenceEmbedder, load_manifest

    manifest = load_manifest(Path(args.manifest)) if args.manifest else load_manifest()
    embedder = SentenceEmbedder.load(Path(args.dir) if args.dir else None, manifest)
    vectors = embedder.embed(list(PROBES))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, texts=np.array(PROBES), vectors=vectors)
    print(f"{len(PROBES)} reference vectors written to {args.out}")
    return 0


def cmd_check(args) -> int:
    """This file's torch encoder against the reference vectors."""
    setup_torch(RECIPE["threads"], 0)
    directory = Path(args.dir)
    module, tokenizer, _ = load_encoder(directory)
    ref = np.load(args.reference)
    texts = [str(t) for t in ref["texts"]]
    mine = embed(module, tokenizer, texts, serving_max_tokens(directory))
    cosines = (mine * ref["vectors"]).sum(1) / (
        np.linalg.norm(mine, axis=1) * np.linalg.norm(ref["vectors"], axis=1)
    )
    worst = float(cosines.min())
    print(f"cosine with the reference: min {worst:.7f}, mean {float(cosines.mean()):.7f}")
    return 0 if worst > 0.9999 else 1


def cmd_export(args) -> int:
    """data/nlu's examples as the classifier trains on them, one JSON line each
    (project venv: Rasa reads the files; the same loader as the comparison
    harness, scripts/compare_classifiers.py load_training_with_origin)."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "scripts"))
    from compare_classifiers import load_training_with_origin

    texts, labels, real = load_training_with_origin()
    lines = [
        json.dumps({"text": t, "label": y, "real": r})
        for t, y, r in zip(texts, labels, real, strict=True)
    ]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} training examples written to {out}")
    return 0


def read_examples(path: Path) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            texts.append(str(row["text"]))
            labels.append(str(row["label"]))
    return texts, labels


def write_model(out: Path, base: Path, tensors: dict, module, provenance: dict, head) -> None:
    """The base directory's files, model.safetensors replaced, plus a manifest."""
    import torch
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    for name in SMALL_FILES:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(base / name, out / name)
    trained = module.state_dict()
    merged = {
        k: (trained[k] if k in trained else v).detach().to(v.dtype).contiguous()
        for k, v in tensors.items()
    }
    save_file(merged, str(out / "model.safetensors"), metadata={"format": "pt"})
    weight, scale, labels = head
    save_file(
        {"weight": weight.contiguous(), "scale": torch.tensor([scale])},
        str(out / "head.safetensors"),
    )
    (out / "head_labels.json").write_text(json.dumps(labels))
    write_manifest(out, provenance)


def write_manifest(out: Path, provenance: dict) -> None:
    """manifest.yml: the base manifest with the hashes of the files in ``out``."""
    import yaml

    manifest = yaml.safe_load(BASE_MANIFEST.read_text(encoding="utf-8"))
    manifest["name"] = out.name
    for entry in manifest["files"]:
        path = out / entry["name"]
        entry["bytes"] = path.stat().st_size
        entry["sha256"] = sha256_file(path)
        if entry["name"] == "model.safetensors":
            entry["publisher_sha256_evidence"] = "derived: fine-tuned here (see finetune)"
    manifest["finetune"] = provenance
    (out / "manifest.yml").write_text(
        "# Written by scripts/finetune_encoder.py: the base model's files with\n"
        "# model.safetensors fine-tuned; `finetune` says from what.\n"
        + yaml.safe_dump(manifest, sort_keys=False),
        encoding="utf-8",
    )


def cmd_train(args) -> int:
    import torch
    from torch import nn

    recipe = dict(RECIPE)
    for key in ("epochs", "lr_encoder", "lr_head", "seed"):
        if getattr(args, key) is not None:
            recipe[key] = type(RECIPE[key])(getattr(args, key))
    setup_torch(recipe["threads"], recipe["seed"])
    started = time.perf_counter()
    base = Path(args.base)
    module, tokenizer, tensors = load_encoder(base)
    texts, labels = read_examples(Path(args.data))
    classes = sorted(set(labels))
    y = torch.tensor([classes.index(label) for label in labels])
    max_tokens = recipe["max_tokens"]

    # head: each label's mean vector under the base encoder
    base_vectors = torch.from_numpy(embed(module, tokenizer, texts, max_tokens))
    centroids = torch.zeros((len(classes), base_vectors.shape[1]))
    centroids.index_add_(0, y, base_vectors)
    head = nn.Parameter(nn.functional.normalize(centroids, dim=-1))
    scale = recipe["scale"]

    decay, no_decay = [], []
    for name, p in module.named_parameters():
        (no_decay if name.endswith("bias") or "LayerNorm" in name else decay).append(p)
    optimiser = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": recipe["weight_decay"], "lr": recipe["lr_encoder"]},
            {"params": no_decay, "weight_decay": 0.0, "lr": recipe["lr_encoder"]},
            {"params": [head], "weight_decay": 0.0, "lr": recipe["lr_head"]},
        ]
    )
    batch = recipe["batch"]
    steps_per_epoch = math.ceil(len(texts) / batch)
    total = steps_per_epoch * recipe["epochs"]
    warmup = max(1, int(total * recipe["warmup"]))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda step: (
            (step + 1) / warmup
            if step < warmup
            else max(0.0, (total - step) / max(1, total - warmup))
        ),
    )
    shuffle = torch.Generator().manual_seed(recipe["seed"])
    print(
        f"{len(texts)} examples, {len(classes)} labels, {total} steps "
        f"(base vectors {time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    step = 0
    for epoch in range(recipe["epochs"]):
        module.train()
        order = torch.randperm(len(texts), generator=shuffle).tolist()
        running, seen = 0.0, 0
        for start in range(0, len(order), batch):
            rows = order[start : start + batch]
            ids, mask = batch_tensors(tokenizer, [texts[i] for i in rows], max_tokens)
            vectors = module(ids, mask)
            logits = scale * vectors @ nn.functional.normalize(head, dim=-1).T
            loss = nn.functional.cross_entropy(logits, y[rows])
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(list(module.parameters()) + [head], 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            running += float(loss.detach()) * len(rows)
            seen += len(rows)
        print(
            f"epoch {epoch + 1}: loss {running / seen:.4f} ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )

    data_hash = sha256_file(Path(args.data))
    provenance = {
        "base_model_sha256": sha256_file(base / "model.safetensors"),
        "training_data": Path(args.data).name,
        "training_data_sha256": data_hash,
        "examples": len(texts),
        "labels": len(classes),
        "recipe": recipe,
        "torch": str(torch.__version__),
    }
    out = Path(args.out)
    head_weight = nn.functional.normalize(head.detach(), dim=-1)
    write_model(out, base, tensors, module, provenance, (head_weight, scale, classes))
    print(f"written {out} in {time.perf_counter() - started:.0f} s", flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    ref = sub.add_parser("reference", help="the shipped embedder's vectors (project venv)")
    ref.add_argument("out")
    ref.add_argument("--manifest", default=None)
    ref.add_argument("--dir", default=None)
    export = sub.add_parser("export", help="data/nlu as the classifier reads it (project venv)")
    export.add_argument("out")
    check = sub.add_parser("check", help="the torch encoder against reference vectors")
    check.add_argument("reference")
    check.add_argument("--dir", default=str(BASE_DIR))
    train = sub.add_parser("train", help="fine-tune on a JSONL of {text, label}")
    train.add_argument("data")
    train.add_argument("--out", required=True)
    train.add_argument("--base", default=str(BASE_DIR))
    train.add_argument("--epochs", default=None)
    train.add_argument("--lr-encoder", dest="lr_encoder", default=None)
    train.add_argument("--lr-head", dest="lr_head", default=None)
    train.add_argument("--seed", default=None)
    args = parser.parse_args()
    return {
        "reference": cmd_reference,
        "export": cmd_export,
        "check": cmd_check,
        "train": cmd_train,
    }[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
