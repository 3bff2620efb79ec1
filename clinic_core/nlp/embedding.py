"""A pretrained sentence embedding (all-MiniLM-L6-v2), pinned and checked.

What it is for: a second opinion where the fast TF-IDF classifier is unsure
(issue 10, item 6). It is never on the emergency path and never needed for
a turn to be answered: callers treat :class:`EmbeddingUnavailable` as "no
second opinion".

Safety: ``embedding_model.yml`` pins the SHA-256 of every file. :meth:`load`
reads each file once, hashes those bytes and builds the model from the same
bytes, so what was checked is what runs; a missing or changed file raises
:class:`EmbeddingIntegrityError` naming it. The runtime is onnxruntime with a
graph built from the publisher's weights (``bert_onnx``), the tokenizer is
Hugging Face ``tokenizers`` reading the publisher's ``tokenizer.json``. No
code from the package the files came in is ever imported.

Output: one L2-normalised 384-dimension vector per text, what
``SentenceTransformer("all-MiniLM-L6-v2").encode(texts, normalize_embeddings=True)``
gives (to float32 rounding; tests/unit/test_embedding.py compares with the
similarities sentence-transformers publishes).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
MANIFEST_PATH = Path(__file__).with_name("embedding_model.yml")
#: Where the verified model files live; CLINIC_EMBEDDING_DIR moves it (a
#: deployment that keeps models elsewhere, or a test of a missing model).
BUILD_DIR = Path(os.environ.get("CLINIC_EMBEDDING_DIR") or REPO_ROOT / "build" / "embedding")
#: Texts per onnxruntime call in embed(): bounds the memory of long lists.
BATCH = 32


class EmbeddingUnavailable(RuntimeError):
    """The embedding cannot be used (not fetched, or refused)."""


class EmbeddingIntegrityError(EmbeddingUnavailable):
    """A model file is missing or is not the file the manifest pins."""


@dataclass(frozen=True)
class ModelFile:
    name: str  # path under the model directory (the publisher's layout)
    member: str  # path inside the source wheel
    size: int
    sha256: str
    publisher_file: str


@dataclass(frozen=True)
class Manifest:
    name: str
    licence: str
    publisher_url: str
    package: str
    version: str
    wheel: str
    wheel_sha256: str
    files: tuple
    #: Put before every text, as the publisher says the model expects (e5's
    #: "query: "); "" for models trained without one.
    query_prefix: str = ""
    #: Tokens kept of a text (None: sentence_bert_config.json's max_seq_length).
    max_length: int | None = None

    def directory(self, root: Path = BUILD_DIR) -> Path:
        return Path(root) / self.name


def load_manifest(path: Path = MANIFEST_PATH) -> Manifest:
    """The manifest, with every field it must have (a clear error if not)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    try:
        source = data["source"]
        files = tuple(
            ModelFile(
                f["name"],
                f["member"],
                int(f["bytes"]),
                str(f["sha256"]).lower(),
                f["publisher_file"],
            )
            for f in data["files"]
        )
        return Manifest(
            data["name"],
            data["licence"],
            data["publisher_url"],
            source["package"],
            str(source["version"]),
            source["wheel"],
            str(source["wheel_sha256"]).lower(),
            files,
            str(data.get("query_prefix") or ""),
            int(data["max_length"]) if data.get("max_length") else None,
        )
    except (KeyError, TypeError) as err:
        raise ValueError(f"{path}: missing or malformed field {err}") from err


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_verified(directory: Path, manifest: Manifest) -> dict[str, bytes]:
    """Every manifest file's bytes, each checked against its pinned SHA-256.

    Raises EmbeddingIntegrityError for a missing file, a wrong size or a
    wrong hash, naming the file and both hashes."""
    contents: dict[str, bytes] = {}
    for entry in manifest.files:
        path = Path(directory) / entry.name
        try:
            data = path.read_bytes()
        except OSError as err:
            raise EmbeddingIntegrityError(
                f"{path} is missing ({err.strerror}); run scripts/setup.sh to fetch the embedding model"
            ) from None
        digest = sha256_hex(data)
        if len(data) != entry.size or digest != entry.sha256:
            raise EmbeddingIntegrityError(
                f"{path} is not the pinned file: SHA-256 {digest} ({len(data)} bytes), expected "
                f"{entry.sha256} ({entry.size} bytes). Refusing to load it; delete it and run scripts/setup.sh"
            )
        contents[entry.name] = data
    return contents


def is_fetched(directory: Path | None = None, manifest: Manifest | None = None) -> bool:
    """True when every file is present and verified (reads ~90 MB)."""
    manifest = manifest or load_manifest()
    try:
        read_verified(directory or manifest.directory(), manifest)
    except EmbeddingIntegrityError:
        return False
    return True


#: The fine-tuned encoder's directory is the base's name with this suffix,
#: under the same root (so CLINIC_EMBEDDING_DIR moves both).
FINETUNED_SUFFIX = "-ft"
#: Written by scripts/finetune_encoder.py into the fine-tuned directory.
FINETUNED_MANIFEST = "manifest.yml"


def finetuned_directory(root: Path | None = None, base: Manifest | None = None) -> Path:
    """Where scripts/setup.sh writes the fine-tuned encoder (build/embedding/<name>-ft)."""
    base = base or load_manifest()
    return Path(root or BUILD_DIR) / f"{base.name}{FINETUNED_SUFFIX}"


def load_finetuned_manifest(
    directory: Path | None = None, base: Manifest | None = None
) -> Manifest:
    """The fine-tuned encoder's manifest, checked against the base's provenance.

    Our own derived weights cannot be pinned in the repository (they depend on
    data/nlu), so the fine-tune records the SHA-256 of every file it wrote in
    ``manifest.yml`` and what it started from in its ``finetune`` block. Here:
    that block must name the pinned base weights (embedding_model.yml), and
    every file other than model.safetensors must be the pinned base file
    (the fine-tune changes the weights only). read_verified() then checks the
    files against the recorded hashes, as for the base. Raises
    EmbeddingIntegrityError (no second opinion) otherwise."""
    base = base or load_manifest()
    directory = Path(directory) if directory else finetuned_directory(base=base)
    path = directory / FINETUNED_MANIFEST
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        manifest = load_manifest(path)
    except OSError as err:
        raise EmbeddingIntegrityError(
            f"{path} is missing ({err.strerror}); run scripts/setup.sh to fine-tune the embedding"
        ) from None
    except (ValueError, yaml.YAMLError) as err:
        raise EmbeddingIntegrityError(f"{path} is not a fine-tuned manifest: {err}") from None
    pinned = {f.name: f for f in base.files}
    block = data.get("finetune") if isinstance(data, dict) else None
    if (
        not isinstance(block, dict)
        or block.get("base_model_sha256") != pinned["model.safetensors"].sha256
    ):
        raise EmbeddingIntegrityError(
            f"{path} does not name the pinned base weights "
            f"({pinned['model.safetensors'].sha256}); run scripts/setup.sh"
        )
    names = {f.name for f in manifest.files}
    if names != set(pinned):
        raise EmbeddingIntegrityError(f"{path} lists {sorted(names)}, not the base's files")
    for entry in manifest.files:
        if entry.name != "model.safetensors" and (entry.sha256, entry.size) != (
            pinned[entry.name].sha256,
            pinned[entry.name].size,
        ):
            raise EmbeddingIntegrityError(
                f"{path}: {entry.name} is not the pinned base file; run scripts/setup.sh"
            )
    return manifest


def finetuned_ok(directory: Path | None = None) -> bool:
    """True when the fine-tuned encoder is there and every file matches (reads ~90 MB)."""
    try:
        manifest = load_finetuned_manifest(directory)
        read_verified(Path(directory) if directory else finetuned_directory(), manifest)
    except EmbeddingIntegrityError:
        return False
    return True


def shipped_encoder(finetuned: bool) -> tuple[Path, Manifest]:
    """Where the classifier's encoder is and its manifest: the fine-tuned one
    (config.yml's ``embedding_finetuned``, checked by load_finetuned_manifest)
    or the pinned base model. One home for the choice the classifier, the
    embedding benchmark and the comparison harness all make."""
    if not finetuned:
        manifest = load_manifest()
        return manifest.directory(), manifest
    directory = finetuned_directory()
    return directory, load_finetuned_manifest(directory)


def pooling_mode(config: dict[str, Any]) -> str:
    """``mean`` or ``cls`` from sentence-transformers' ``1_Pooling/config.json``;
    any other mode (max, sqrt-length, several at once) is refused."""
    modes = [k for k, v in config.items() if k.startswith("pooling_mode_") and v]
    known = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}
    if len(modes) != 1 or modes[0] not in known:
        raise EmbeddingUnavailable(
            f"1_Pooling/config.json asks for {modes or 'no pooling'}; only mean or CLS pooling is implemented"
        )
    return known[modes[0]]


class SentenceEmbedder:
    """Texts -> normalised sentence vectors, with onnxruntime."""

    def __init__(
        self,
        session: Any,
        tokenizer: Any,
        dimensions: int,
        weights: Sequence[object] = (),
        pad_id: int = 0,
        prefix: str = "",
    ) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self._pad_id = pad_id
        self._prefix = prefix
        self._weights = list(weights)  # the session's weight buffers: they must live as long as it
        self.dimensions = dimensions

    @classmethod
    def load(
        cls,
        directory: Path | None = None,
        manifest: Manifest | None = None,
        threads: int | None = None,
    ) -> SentenceEmbedder:
        """Check every file, build the graph, open an onnxruntime session.

        ``threads``: onnxruntime's intra-op threads (None: its default, one
        per core). Threads do not spin while idle: this shares a small
        machine with the Rasa server.
        """
        import onnxruntime
        from safetensors.numpy import load as load_safetensors
        from tokenizers import Tokenizer

        from clinic_core.nlp.bert_onnx import build_sentence_encoder, open_session, required_tensors

        manifest = manifest or load_manifest()
        files = read_verified(directory or manifest.directory(), manifest)
        config = json.loads(files["config.json"])
        pooling_config = json.loads(files["1_Pooling/config.json"])
        pooling = pooling_mode(pooling_config)
        st_config = json.loads(files["sentence_bert_config.json"])
        max_length = manifest.max_length or int(st_config["max_seq_length"])
        weights = load_safetensors(
            files.pop("model.safetensors")
        )  # the file's bytes are dropped here
        # a checkpoint saved from a task model names its tensors "bert.embeddings..."
        weights = {
            name.split(".", 1)[1] if name.startswith(("bert.", "mpnet.")) else name: value
            for name, value in weights.items()
        }
        try:
            missing = [n for n in required_tensors(config) if n not in weights]
            if missing:
                raise EmbeddingUnavailable(f"model.safetensors lacks {missing[:3]}...")
            model, external = build_sentence_encoder(weights, config, pooling, max_length)
        except ValueError as err:  # an architecture or option the graph does not implement
            raise EmbeddingUnavailable(str(err)) from None
        del weights  # only the arrays the graph uses stay

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # errors only
        options.inter_op_num_threads = 1
        if threads is not None:
            options.intra_op_num_threads = threads
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session, keep = open_session(model, external, options)

        tokenizer = Tokenizer.from_str(files["tokenizer.json"].decode("utf-8"))
        # The file pads and truncates to 128 (set for an export); sentence-
        # transformers truncates to max_seq_length and pads a batch to its
        # longest text, which embed() does.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=max_length)
        dimensions = int(pooling_config["word_embedding_dimension"])
        pad_id = int(config.get("pad_token_id") or 0)
        return cls(session, tokenizer, dimensions, keep, pad_id, manifest.query_prefix)

    @classmethod
    def load_shipped(cls, finetuned: bool, threads: int | None = None) -> SentenceEmbedder:
        """What the classifier uses (shipped_encoder), checked by read_verified()."""
        directory, manifest = shipped_encoder(finetuned)
        return cls.load(directory, manifest, threads=threads)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """``[len(texts), dimensions]`` float32, each row of length 1.

        Texts go through the model in batches of BATCH, each padded to its
        longest text (padding does not change a vector). Tokenised one by
        one: ``encode_batch`` would start a thread pool per process, which
        a server sharing two cores does not need for one message."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            encodings = [
                self._tokenizer.encode(self._prefix + str(t)) for t in texts[start : start + BATCH]
            ]
            ids = np.full(
                (len(encodings), max(len(e.ids) for e in encodings)), self._pad_id, dtype=np.int64
            )
            mask = np.zeros_like(ids)
            for row, encoding in enumerate(encodings):
                ids[row, : len(encoding.ids)] = encoding.ids
                mask[row, : len(encoding.ids)] = 1
            out[start : start + len(encodings)] = self._session.run(
                None, {"input_ids": ids, "attention_mask": mask}
            )[0]
        return out

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]
