"""A BERT sentence encoder run by onnxruntime, from its published weights.

Why this exists: the only copy of all-MiniLM-L6-v2 installable here whose
weights are byte-identical to the publisher's is a ``model.safetensors``
(see ``embedding_model.yml``); onnxruntime needs a graph. Exporting one the
usual way needs PyTorch (hundreds of MB) and the re-upload's own code, so the
graph is written here with ``onnx.helper``: the standard BERT encoder of
``transformers.BertModel`` (post-LayerNorm, erf GELU, absolute positions)
followed by what sentence-transformers puts on top of this model: mean
pooling over the attention mask and L2 normalisation. The weights are the
file's tensors unchanged (the linear layers transposed), handed to
onnxruntime as arrays (``SessionOptions.add_initializer``) rather than copied
into the graph: the graph stays a few kB, nothing derived is written to disk,
and loading never holds more than two copies of the 90 MB of weights.

The same builder writes MPNet encoders (``config.json``'s ``model_type``:
all-mpnet-base-v2 was compared, README "Other sentence embeddings compared")
and CLS pooling, each read from the model's own files.

Correctness: tests/unit/test_embedding.py compares the graph with a plain
numpy BERT on small random weights, and the real model with the similarities
sentence-transformers publishes for it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper

#: LayerNormalization is an operator from opset 17 on.
OPSET = 17
INPUT_IDS = "input_ids"
ATTENTION_MASK = "attention_mask"
OUTPUT = "sentence_embedding"
#: Tensors larger than this are supplied at session creation, not stored in the graph.
INLINE_MAX_ELEMENTS = 1024


class _Graph:
    """Collects nodes (naming every intermediate value) and constants."""

    def __init__(self) -> None:
        self.model = onnx.ModelProto()
        self.nodes: list[onnx.NodeProto] = []
        self.external: dict[str, np.ndarray] = {}
        self._count = 0

    def const(self, name: str, value: np.ndarray) -> str:
        """A constant; a large one is only declared (its data comes with the session)."""
        value = np.ascontiguousarray(value)
        tensor = self.model.graph.initializer.add()
        tensor.name = name
        tensor.data_type = helper.np_dtype_to_tensor_dtype(value.dtype)
        tensor.dims.extend(value.shape)
        if value.size <= INLINE_MAX_ELEMENTS:
            tensor.raw_data = value.tobytes()
        else:
            tensor.data_location = TensorProto.EXTERNAL
            location = tensor.external_data.add()
            location.key, location.value = "location", "supplied-at-session-creation"
            self.external[name] = value
        return name

    def op(self, op_type: str, inputs: list[str], **attrs: Any) -> str:
        self._count += 1
        out = f"{op_type.lower()}_{self._count}"
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out


def _linear(g: _Graph, x: str, weights: Mapping[str, np.ndarray], prefix: str) -> str:
    """``x @ W.T + b`` of a PyTorch ``nn.Linear`` stored as ``prefix.weight/bias``."""
    w = g.const(f"{prefix}.weight_t", weights[f"{prefix}.weight"].T)
    b = g.const(f"{prefix}.bias", weights[f"{prefix}.bias"])
    return g.op("Add", [g.op("MatMul", [x, w]), b])


def _layer_norm(
    g: _Graph, x: str, weights: Mapping[str, np.ndarray], prefix: str, eps: float
) -> str:
    scale = g.const(f"{prefix}.weight", weights[f"{prefix}.weight"])
    bias = g.const(f"{prefix}.bias", weights[f"{prefix}.bias"])
    return g.op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=eps)


def _gelu(g: _Graph, x: str) -> str:
    """The exact GELU BERT uses: 0.5 x (1 + erf(x / sqrt 2))."""
    scaled = g.op("Mul", [x, "inv_sqrt2"])
    return g.op("Mul", [g.op("Mul", [x, "half"]), g.op("Add", [g.op("Erf", [scaled]), "one"])])


def _attention(
    g: _Graph,
    x: str,
    mask_bias: str,
    weights: Mapping[str, np.ndarray],
    names: Mapping[str, str],
    heads: int,
    head_size: int,
) -> str:
    """Multi-head self-attention; padded positions get -10000 before softmax.

    ``names``: the layer's ``query``/``key``/``value``/``output`` linear
    layers (BERT's and MPNet's names differ). ``mask_bias`` already holds
    MPNet's relative position bias where there is one."""

    def split(name: str) -> str:  # [B, S, H] -> [B, heads, S, head]
        return g.op(
            "Transpose",
            [g.op("Reshape", [_linear(g, x, weights, names[name]), "split_shape"])],
            perm=[0, 2, 1, 3],
        )

    query, key, value = split("query"), split("key"), split("value")
    scores = g.op("MatMul", [query, g.op("Transpose", [key], perm=[0, 1, 3, 2])])
    scale = g.const(
        f"{names['query']}.scale", np.array(1.0 / math.sqrt(head_size), dtype=np.float32)
    )
    probs = g.op("Softmax", [g.op("Add", [g.op("Mul", [scores, scale]), mask_bias])], axis=-1)
    context = g.op("Transpose", [g.op("MatMul", [probs, value])], perm=[0, 2, 1, 3])
    return _linear(g, g.op("Reshape", [context, "merge_shape"]), weights, names["output"])


#: Each supported architecture's names for one encoder layer's parts
#: (``{p}`` is ``encoder.layer.<i>``): attention's four linear layers, the
#: LayerNorm after attention, then the feed-forward block (the same in both).
LAYER_NAMES = {
    "bert": {
        "query": "{p}.attention.self.query",
        "key": "{p}.attention.self.key",
        "value": "{p}.attention.self.value",
        "output": "{p}.attention.output.dense",
        "attention_norm": "{p}.attention.output.LayerNorm",
    },
    "mpnet": {
        "query": "{p}.attention.attn.q",
        "key": "{p}.attention.attn.k",
        "value": "{p}.attention.attn.v",
        "output": "{p}.attention.attn.o",
        "attention_norm": "{p}.attention.LayerNorm",
    },
}
#: Pooling modes of sentence-transformers' Pooling module the graph implements.
POOLING_MODES = ("mean", "cls")


def architecture(config: Mapping[str, Any]) -> str:
    """``bert`` or ``mpnet`` from ``config.json``'s ``model_type``; anything else is refused."""
    kind = str(config.get("model_type", "bert"))
    if kind not in LAYER_NAMES:
        raise ValueError(f"model_type {kind!r} is not supported (only {sorted(LAYER_NAMES)})")
    return kind


def relative_position_buckets(
    length: int, num_buckets: int = 32, max_distance: int = 128
) -> np.ndarray:
    """MPNet's ``[length, length]`` bucket of each (query, key) pair:
    ``MPNetEncoder.relative_position_bucket`` of transformers (T5's
    bidirectional buckets: exact below 8 positions apart, logarithmic up to
    ``max_distance``), computed in float32 as PyTorch does."""
    positions = np.arange(length, dtype=np.int64)
    n = positions[:, None] - positions[None, :]  # query - key = -(relative position)
    half = num_buckets // 2
    out = (n < 0).astype(np.int64) * half
    n = np.abs(n)
    max_exact = half // 2
    with np.errstate(divide="ignore"):
        large = max_exact + (
            np.log(n.astype(np.float32) / np.float32(max_exact))
            / np.float32(math.log(max_distance / max_exact))
            * np.float32(half - max_exact)
        )
    large = np.where(np.isfinite(large), large, 0).astype(np.int64)
    large = np.minimum(large, half - 1)
    return out + np.where(n < max_exact, n, large)


def build_sentence_encoder(
    weights: Mapping[str, np.ndarray],
    config: Mapping[str, Any],
    pooling: str = "mean",
    max_length: int = 512,
) -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    """The graph ``(input_ids, attention_mask) -> sentence_embedding`` and
    the large tensors it declares, to pass to :func:`open_session`.

    ``weights``: the tensors of a ``BertModel`` or ``MPNetModel`` safetensors
    file (names without a ``bert.``/``mpnet.`` prefix); ``config``: its
    ``config.json``. ``pooling``: ``mean`` (the attention-masked mean of the
    last hidden states) or ``cls`` (the first token's), as the model's
    ``1_Pooling/config.json`` says; the output is L2-normalised, shape
    ``[batch, hidden_size]``. BERT: token type ids are all 0 for one
    sentence, so the type embedding is row 0, added as a constant. MPNet:
    positions start at 2 (after its padding index) and every layer adds the
    relative position bias, computed here for up to ``max_length`` tokens.
    """
    if pooling not in POOLING_MODES:
        raise ValueError(f"pooling {pooling!r} is not implemented (only {POOLING_MODES})")
    kind = architecture(config)
    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    layers = int(config["num_hidden_layers"])
    eps = float(config["layer_norm_eps"])
    if (
        config.get("hidden_act") != "gelu"
        or config.get("position_embedding_type", "absolute") != "absolute"
    ):
        raise ValueError("only BERT with exact GELU and absolute positions is supported")
    head_size = hidden // heads

    g = _Graph()
    g.const("split_shape", np.array([0, 0, heads, head_size], dtype=np.int64))
    g.const("merge_shape", np.array([0, 0, hidden], dtype=np.int64))
    g.const("half", np.array(0.5, dtype=np.float32))
    g.const("one", np.array(1.0, dtype=np.float32))
    g.const("inv_sqrt2", np.array(1.0 / math.sqrt(2.0), dtype=np.float32))
    g.const("zero_1d", np.array([0], dtype=np.int64))
    g.const("axis1", np.array([1], dtype=np.int64))
    g.const("tiny", np.array(1e-9, dtype=np.float32))
    g.const("mask_min", np.array(-10000.0, dtype=np.float32))

    # Embeddings: word + position (+ token type 0 for BERT), then LayerNorm.
    words = g.op(
        "Gather",
        [g.const("word_embeddings", weights["embeddings.word_embeddings.weight"]), INPUT_IDS],
        axis=0,
    )
    length = g.op("Shape", [INPUT_IDS], start=1, end=2)  # [sequence], 1-D
    table = weights["embeddings.position_embeddings.weight"]
    if kind == "mpnet":  # MPNet numbers real tokens from padding_idx + 1 = 2 (right padding)
        table = table[int(config.get("pad_token_id", 1)) + 1 :]
    positions = g.op(
        "Slice", [g.const("position_embeddings", table), "zero_1d", length, "zero_1d"]
    )  # rows 0 .. sequence-1
    x = g.op("Add", [words, positions])
    if kind == "bert":
        token_type = g.const("token_type_0", weights["embeddings.token_type_embeddings.weight"][0])
        x = g.op("Add", [x, token_type])
    x = _layer_norm(g, x, weights, "embeddings.LayerNorm", eps)

    # [B, S] mask -> [B, 1, 1, S] additive bias: 0 where attended, -10000 on padding.
    mask = g.op("Cast", [ATTENTION_MASK], to=TensorProto.FLOAT)
    mask_bias = g.op("Mul", [g.op("Sub", ["one", mask]), "mask_min"])
    mask_bias = g.op("Unsqueeze", [mask_bias, g.const("axes12", np.array([1, 2], dtype=np.int64))])
    if kind == "mpnet":  # + the relative position bias [1, heads, S, S], the same in every layer
        buckets = relative_position_buckets(
            max_length, int(config.get("relative_attention_num_buckets", 32))
        )
        table = weights["encoder.relative_attention_bias.weight"][buckets]  # [L, L, heads]
        bias = g.const("relative_bias", np.ascontiguousarray(table.transpose(2, 0, 1)[None]))
        axes23 = g.const("axes23", np.array([2, 3], dtype=np.int64))
        square = g.op("Concat", [length, length], axis=0)
        bias = g.op(
            "Slice", [bias, g.const("zero_2", np.array([0, 0], dtype=np.int64)), square, axes23]
        )
        mask_bias = g.op("Add", [mask_bias, bias])

    for i in range(layers):
        p = f"encoder.layer.{i}"
        names = {part: name.format(p=p) for part, name in LAYER_NAMES[kind].items()}
        attended = _attention(g, x, mask_bias, weights, names, heads, head_size)
        x = _layer_norm(g, g.op("Add", [attended, x]), weights, names["attention_norm"], eps)
        inner = _gelu(g, _linear(g, x, weights, f"{p}.intermediate.dense"))
        x = _layer_norm(
            g,
            g.op("Add", [_linear(g, inner, weights, f"{p}.output.dense"), x]),
            weights,
            f"{p}.output.LayerNorm",
            eps,
        )

    # sentence-transformers' Pooling (mean over real tokens, or the first
    # token) and Normalize.
    if pooling == "cls":
        first = g.op("Gather", [x, "zero_1d"], axis=1)  # [B, 1, H]
        pooled = g.op("Squeeze", [first, "axis1"])
    else:
        weights_3d = g.op("Unsqueeze", [mask, g.const("axis_last", np.array([-1], dtype=np.int64))])
        summed = g.op("ReduceSum", [g.op("Mul", [x, weights_3d]), "axis1"], keepdims=0)
        counts = g.op("Max", [g.op("ReduceSum", [weights_3d, "axis1"], keepdims=0), "tiny"])
        pooled = g.op("Div", [summed, counts])
    g.nodes.append(helper.make_node("LpNormalization", [pooled], [OUTPUT], axis=-1, p=2))

    model = g.model
    model.graph.name = "sentence_encoder"
    model.graph.node.extend(g.nodes)
    model.graph.input.extend(
        [
            helper.make_tensor_value_info(INPUT_IDS, TensorProto.INT64, ["batch", "sequence"]),
            helper.make_tensor_value_info(ATTENTION_MASK, TensorProto.INT64, ["batch", "sequence"]),
        ]
    )
    model.graph.output.append(
        helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", hidden])
    )
    model.opset_import.append(helper.make_opsetid("", OPSET))
    model.producer_name = "clinic_core.nlp.bert_onnx"
    model.ir_version = 8  # readable by every onnxruntime since 1.10
    return model, g.external


def open_session(
    model: onnx.ModelProto, external: Mapping[str, np.ndarray], options: Any
) -> tuple[object, list]:
    """An onnxruntime session with the external tensors supplied.

    Returns the session and the OrtValues backing its weights: onnxruntime
    may use their memory without copying, so the caller keeps them as long
    as the session."""
    import onnxruntime

    keep = []
    for name, value in external.items():
        ort_value = onnxruntime.OrtValue.ortvalue_from_numpy(value)
        options.add_initializer(name, ort_value)
        keep.append(ort_value)
    session = onnxruntime.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    return session, keep


def required_tensors(config: Mapping[str, Any]) -> list[str]:
    """Names the graph reads, for a clear error when a weights file lacks one."""
    kind = architecture(config)
    names = {
        "embeddings.word_embeddings.weight",
        "embeddings.position_embeddings.weight",
        "embeddings.LayerNorm.weight",
        "embeddings.LayerNorm.bias",
    }
    if kind == "bert":
        names.add("embeddings.token_type_embeddings.weight")
    else:
        names.add("encoder.relative_attention_bias.weight")
    for i in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{i}"
        parts = [name.format(p=p) for name in LAYER_NAMES[kind].values()]
        parts += [f"{p}.intermediate.dense", f"{p}.output.dense", f"{p}.output.LayerNorm"]
        for part in parts:
            names.update({f"{part}.weight", f"{part}.bias"})
    return sorted(names)
