"""The embedding loader's options, on tiny models made here (no network, no real weights).

What a model other than all-MiniLM-L6-v2 needs, each read from data (the
model's own config files or the manifest), never from its name: MPNet's
architecture (``config.json``'s ``model_type``), CLS pooling
(``1_Pooling/config.json``), a query prefix and another maximum length (the
manifest). Each is checked against a plain numpy reading of what
transformers and sentence-transformers compute.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from clinic_core.nlp.bert_onnx import (
    build_sentence_encoder,
    open_session,
    relative_position_buckets,
    required_tensors,
)
from clinic_core.nlp.embedding import (
    EmbeddingIntegrityError,
    EmbeddingUnavailable,
    SentenceEmbedder,
    load_manifest,
    pooling_mode,
)

TINY = {
    "hidden_size": 32,
    "num_attention_heads": 4,
    "num_hidden_layers": 2,
    "intermediate_size": 64,
    "vocab_size": 50,
    "max_position_embeddings": 40,
    "layer_norm_eps": 1e-5,
    "hidden_act": "gelu",
}
TINY_MPNET = {
    **TINY,
    "model_type": "mpnet",
    "pad_token_id": 1,
    "relative_attention_num_buckets": 32,
}


def _weights(config: dict, seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    h, i = config["hidden_size"], config["intermediate_size"]
    shapes = {
        "embeddings.word_embeddings.weight": (config["vocab_size"], h),
        "embeddings.position_embeddings.weight": (config["max_position_embeddings"], h),
        "embeddings.token_type_embeddings.weight": (2, h),
        "encoder.relative_attention_bias.weight": (32, config["num_attention_heads"]),
    }
    out = {}
    for name in required_tensors(config):
        if name in shapes:
            shape = shapes[name]
        elif "intermediate.dense.weight" in name:
            shape = (i, h)
        elif "intermediate.dense.bias" in name:
            shape = (i,)
        elif name.endswith("output.dense.weight") and "attention" not in name:
            shape = (h, i)
        elif name.endswith(".weight") and "LayerNorm" not in name:
            shape = (h, h)
        else:
            shape = (h,)
        out[name] = rng.normal(0, 0.5, shape).astype(np.float32)
    return out


def _bucket(relative_position: int, num_buckets: int = 32, max_distance: int = 128) -> int:
    """transformers' MPNetEncoder.relative_position_bucket for one pair, in plain Python."""
    n = -relative_position
    num_buckets //= 2
    ret = num_buckets if n < 0 else 0
    n = abs(n)
    max_exact = num_buckets // 2
    if n < max_exact:
        return ret + n
    large = max_exact + int(
        math.log(n / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)
    )
    return ret + min(large, num_buckets - 1)


def _numpy_encoder(
    w: dict, config: dict, ids: np.ndarray, mask: np.ndarray, pooling: str
) -> np.ndarray:
    """transformers' BertModel / MPNetModel, then sentence-transformers' Pooling and Normalize, in float64."""
    from scipy.special import erf

    mpnet = config.get("model_type") == "mpnet"
    eps = config["layer_norm_eps"]

    def layer_norm(x, prefix):
        mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + eps) * w[f"{prefix}.weight"] + w[f"{prefix}.bias"]

    def linear(x, prefix):
        return x @ w[f"{prefix}.weight"].T + w[f"{prefix}.bias"]

    batch, length = ids.shape
    heads = config["num_attention_heads"]
    size = config["hidden_size"] // heads
    if mpnet:  # create_position_ids_from_input_ids: cumsum of non-padding + padding_idx
        positions = np.cumsum(ids != 1, axis=1) * (ids != 1) + 1
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][positions]
        )
    else:
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
    x = layer_norm(x.astype(np.float64), "embeddings.LayerNorm")
    bias = (1.0 - mask[:, None, None, :]) * -1e9
    if mpnet:
        table = w["encoder.relative_attention_bias.weight"]
        rel = np.array([[table[_bucket(k - q)] for k in range(length)] for q in range(length)])
        bias = bias + rel.transpose(2, 0, 1)[None]
    names = (
        (
            "attention.attn.q",
            "attention.attn.k",
            "attention.attn.v",
            "attention.attn.o",
            "attention.LayerNorm",
        )
        if mpnet
        else (
            "attention.self.query",
            "attention.self.key",
            "attention.self.value",
            "attention.output.dense",
            "attention.output.LayerNorm",
        )
    )
    for n in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{n}"
        q, k, v = (
            linear(x, f"{p}.{m}").reshape(batch, length, heads, size).transpose(0, 2, 1, 3)
            for m in names[:3]
        )
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(size) + bias
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, length, -1)
        x = layer_norm(linear(context, f"{p}.{names[3]}") + x, f"{p}.{names[4]}")
        inner = linear(x, f"{p}.intermediate.dense")
        inner = 0.5 * inner * (1 + erf(inner / np.sqrt(2)))
        x = layer_norm(linear(inner, f"{p}.output.dense") + x, f"{p}.output.LayerNorm")
    if pooling == "cls":
        pooled = x[:, 0]
    else:
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def _run(
    config: dict, pooling: str, ids: np.ndarray, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    import onnxruntime

    weights = _weights(config)
    model, external = build_sentence_encoder(
        weights, config, pooling, max_length=config["max_position_embeddings"] - 2
    )
    session, _ = open_session(model, external, onnxruntime.SessionOptions())
    got = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    return got, _numpy_encoder(weights, config, ids, mask.astype(np.float64), pooling)


def test_the_relative_position_buckets_are_mpnets() -> None:
    # every distance up to past max_distance, both directions, against the plain formula
    got = relative_position_buckets(300)
    for q in (0, 1, 7, 150, 299):
        assert [int(b) for b in got[q]] == [_bucket(k - q) for k in range(300)]


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_the_mpnet_graph_computes_what_mpnet_and_sentence_transformers_compute(
    pooling: str,
) -> None:
    pad = 1  # MPNet pads with 1; its positions count only real tokens
    ids = np.array([[0, 5, 9, 13, 2, pad, pad], [0, 7, 7, 30, 41, 17, 2]], dtype=np.int64)
    mask = (ids != pad).astype(np.int64)
    got, expected = _run(TINY_MPNET, pooling, ids, mask)
    assert np.abs(got - expected).max() < 1e-5
    alone, _ = _run(TINY_MPNET, pooling, ids[:1, :5], mask[:1, :5])  # padding changes nothing
    assert np.abs(alone - got[:1]).max() < 1e-5


def test_the_bert_graph_computes_what_bert_and_sentence_transformers_compute() -> None:
    """The shipped model's case: BERT, mean pooling, normalised."""
    import onnxruntime

    weights = _weights(TINY)
    model, external = build_sentence_encoder(weights, TINY)
    # the big tensors are declared in the graph, not copied into it
    assert external and all(v.size > 1024 for v in external.values())
    assert all(not t.raw_data for t in model.graph.initializer if t.name in external)
    session, _ = open_session(model, external, onnxruntime.SessionOptions())
    ids = np.array([[1, 5, 9, 13, 2, 0, 0], [1, 7, 7, 30, 41, 17, 2]], dtype=np.int64)
    mask = (ids != 0).astype(np.int64)
    got = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    expected = _numpy_encoder(weights, TINY, ids, mask.astype(np.float64), "mean")
    assert np.abs(got - expected).max() < 1e-5
    # padding changes nothing: the first text alone gives the same vector
    alone = session.run(None, {"input_ids": ids[:1, :5], "attention_mask": mask[:1, :5]})[0]
    assert np.abs(alone - got[:1]).max() < 1e-5


def test_cls_pooling_takes_the_first_token_of_bert() -> None:
    ids = np.array([[1, 5, 9, 13, 2, 0, 0], [1, 7, 7, 30, 41, 17, 2]], dtype=np.int64)
    mask = (ids != 0).astype(np.int64)
    got, expected = _run(TINY, "cls", ids, mask)
    assert np.abs(got - expected).max() < 1e-5
    mean, _ = _run(TINY, "mean", ids, mask)
    assert np.abs(mean - got).max() > 1e-3  # a different vector, not the mean by another name


def test_an_unknown_architecture_or_pooling_is_refused() -> None:
    with pytest.raises(ValueError, match="model_type 'roberta'"):
        build_sentence_encoder({}, {**TINY, "model_type": "roberta"})
    with pytest.raises(ValueError, match="pooling 'max'"):
        build_sentence_encoder(_weights(TINY), TINY, "max")
    assert (
        pooling_mode({"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}) == "cls"
    )
    assert pooling_mode({"pooling_mode_mean_tokens": True}) == "mean"
    for config in (
        {"pooling_mode_max_tokens": True},
        {"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": True},
        {},
    ):
        with pytest.raises(EmbeddingUnavailable, match="only mean or CLS pooling"):
            pooling_mode(config)


# --------------------------------------------------------------------------
# Through SentenceEmbedder.load: a tiny model directory and its manifest
# --------------------------------------------------------------------------
def _tiny_model_dir(
    tmp_path: Path, pooling: str, prefix: str = "", max_length: int | None = None
) -> tuple[Path, Path]:
    from safetensors.numpy import save
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    words = [
        "[PAD]",
        "[CLS]",
        "[SEP]",
        "[UNK]",
        "query",
        ":",
        "massage",
        "price",
        "hours",
        "a",
        "b",
        "c",
    ]
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 1), ("[SEP]", 2)]
    )
    directory = tmp_path / "tiny"
    (directory / "1_Pooling").mkdir(parents=True, exist_ok=True)
    config = {**TINY, "pad_token_id": 0}
    contents = {
        "model.safetensors": save(_weights(config)),
        "config.json": json.dumps(config).encode(),
        "tokenizer.json": tokenizer.to_str().encode(),
        "sentence_bert_config.json": json.dumps(
            {"max_seq_length": 16, "do_lower_case": False}
        ).encode(),
        "1_Pooling/config.json": json.dumps(
            {
                "word_embedding_dimension": TINY["hidden_size"],
                "pooling_mode_cls_token": pooling == "cls",
                "pooling_mode_mean_tokens": pooling == "mean",
            }
        ).encode(),
    }
    for name, data in contents.items():
        (directory / name).write_bytes(data)
    manifest = {
        "name": "tiny",
        "licence": "Apache-2.0",
        "publisher_url": "https://example.invalid/tiny",
        "query_prefix": prefix,
        "max_length": max_length,
        "source": {
            "package": "pkg",
            "version": "1.0",
            "wheel": "pkg.whl",
            "wheel_sha256": "0" * 64,
        },
        "files": [
            {
                "name": name,
                "member": f"pkg/{name}",
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "publisher_file": f"https://example.invalid/{name}",
            }
            for name, data in contents.items()
        ],
    }
    path = tmp_path / f"manifest-{pooling}-{len(prefix)}-{max_length}.yml"
    path.write_text(yaml.safe_dump(manifest))
    return directory, path


def test_the_manifest_s_prefix_is_put_before_every_text(tmp_path: Path) -> None:
    directory, plain_path = _tiny_model_dir(tmp_path, "mean")
    _, prefixed_path = _tiny_model_dir(tmp_path, "mean", prefix="query: ")
    assert load_manifest(prefixed_path).query_prefix == "query: "
    assert (
        load_manifest(plain_path).query_prefix == ""
        and load_manifest(plain_path).max_length is None
    )
    plain = SentenceEmbedder.load(directory, load_manifest(plain_path), threads=1)
    prefixed = SentenceEmbedder.load(directory, load_manifest(prefixed_path), threads=1)
    texts = ["massage price", "hours"]
    assert np.abs(prefixed.embed(texts) - plain.embed([f"query: {t}" for t in texts])).max() < 1e-6
    assert np.abs(prefixed.embed(texts) - plain.embed(texts)).max() > 1e-3


def test_the_manifest_s_max_length_cuts_longer_texts(tmp_path: Path) -> None:
    directory, default_path = _tiny_model_dir(tmp_path, "mean")
    _, short_path = _tiny_model_dir(tmp_path, "mean", max_length=4)
    default = SentenceEmbedder.load(directory, load_manifest(default_path), threads=1)
    short = SentenceEmbedder.load(directory, load_manifest(short_path), threads=1)
    long_text = "massage price hours a b c a b c"
    # 4 tokens: [CLS] massage price [SEP]
    assert np.abs(short.embed_one(long_text) - default.embed_one("massage price")).max() < 1e-6
    assert np.abs(default.embed_one(long_text) - default.embed_one("massage price")).max() > 1e-3


def test_a_cls_pooled_model_loads_and_a_tampered_file_is_refused(tmp_path: Path) -> None:
    directory, path = _tiny_model_dir(tmp_path, "cls")
    embedder = SentenceEmbedder.load(directory, load_manifest(path), threads=1)
    vectors = embedder.embed(["massage price", "hours", "massage price"])
    assert vectors.shape == (3, TINY["hidden_size"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vectors[0], vectors[2])  # deterministic
    pooling = directory / "1_Pooling" / "config.json"
    pooling.write_bytes(
        pooling.read_bytes().replace(
            b'"pooling_mode_cls_token": true', b'"pooling_mode_cls_token": false'
        )
    )
    with pytest.raises(
        EmbeddingIntegrityError, match="1_Pooling/config.json is not the pinned file"
    ):
        SentenceEmbedder.load(directory, load_manifest(path), threads=1)
