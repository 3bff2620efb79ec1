"""The fine-tuned sentence encoder (README, "Pretrained sentence embedding").

scripts/setup.sh always builds .venv-ft (Python 3.11 + PyTorch) and the base
model, so these are real tests, not skipped: without them they fail with the
command to run. What they pin:

* scripts/finetune_encoder.py's torch encoder reproduces the vectors of the
  shipped SentenceEmbedder (onnxruntime) for the base weights: what is
  fine-tuned is the model that runs;
* a fine-tune is deterministic: two runs on the same tiny data write the same
  bytes (weights and manifest), so setup's skip-when-unchanged is sound and
  the Rasa model's hash moves only when the weights do;
* the loader refuses a fine-tuned directory whose files do not match the
  manifest the fine-tune wrote, or whose manifest does not come from the
  pinned base model.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml

from clinic_core.nlp.embedding import (
    EmbeddingIntegrityError,
    SentenceEmbedder,
    finetuned_ok,
    load_finetuned_manifest,
    load_manifest,
)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "finetune_encoder.py"
VENV_FT = ROOT / ".venv-ft" / "bin" / "python"
pytestmark = pytest.mark.slow  # starts .venv-ft's Python: fine-tunes, checks vectors

BASE = load_manifest()
BASE_DIR = BASE.directory()
#: Made-up clinic-like sentences, three labels (no client's message).
TINY = [
    ("what time do you open on saturday", "faq/hours"),
    ("are you open on sunday mornings", "faq/hours"),
    ("when do you close today", "faq/hours"),
    ("how much is a sixty minute massage", "faq/prices"),
    ("what does a deep tissue session cost", "faq/prices"),
    ("price list please", "faq/prices"),
    ("I would like to book for friday", "book_appointment"),
    ("can I get an appointment next week", "book_appointment"),
    ("book me in for tomorrow afternoon", "book_appointment"),
]


def run_ft(*args: str) -> subprocess.CompletedProcess:
    if not VENV_FT.exists():
        pytest.fail(f"{VENV_FT} is missing: run scripts/setup.sh", pytrace=False)
    if not (BASE_DIR / "model.safetensors").exists():
        pytest.fail("the embedding was not fetched: run scripts/setup.sh", pytrace=False)
    return subprocess.run(
        [str(VENV_FT), str(SCRIPT), *args], capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def two_finetunes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    where = tmp_path_factory.mktemp("finetune")
    data = where / "tiny.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": y}) + "\n" for t, y in TINY))
    outs = []
    for run in ("one", "two"):
        out = where / run / "ft"  # the same name: the manifest records it
        done = run_ft(
            "train", str(data), "--base", str(BASE_DIR), "--out", str(out), "--epochs", "1"
        )
        assert done.returncode == 0, done.stderr[-2000:]
        outs.append(out)
    return outs[0], outs[1]


def test_the_torch_encoder_reproduces_the_shipped_vectors(tmp_path: Path) -> None:
    reference = tmp_path / "reference.npz"
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), str(SCRIPT), "reference", str(reference)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    checked = run_ft("check", str(reference), "--dir", str(BASE_DIR))
    assert checked.returncode == 0, checked.stdout + checked.stderr[-2000:]
    assert (
        "cosine with the reference: min 0.9999" in checked.stdout or "min 1.0000" in checked.stdout
    )


def test_a_finetune_is_deterministic(two_finetunes: tuple[Path, Path]) -> None:
    one, two = two_finetunes
    for name in ("model.safetensors", "manifest.yml", "head.safetensors"):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    # the weights did change (one epoch, lr warm-up of one step)
    assert (one / "model.safetensors").read_bytes() != (BASE_DIR / "model.safetensors").read_bytes()


def test_the_written_directory_loads_and_gives_normalised_vectors(
    two_finetunes: tuple[Path, Path],
) -> None:
    directory = two_finetunes[0]
    manifest = load_finetuned_manifest(directory)
    assert finetuned_ok(directory)
    vectors = SentenceEmbedder.load(directory, manifest, threads=1).embed(["are you open sunday"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def test_a_changed_weights_file_is_refused(
    two_finetunes: tuple[Path, Path], tmp_path: Path
) -> None:
    copy = _copy(two_finetunes[0], tmp_path / "ft")
    with open(copy / "model.safetensors", "r+b") as handle:  # one weight byte changed
        handle.seek(50_000_000)
        byte = handle.read(1)
        handle.seek(50_000_000)
        handle.write(bytes([byte[0] ^ 1]))
    assert not finetuned_ok(copy)
    with pytest.raises(EmbeddingIntegrityError, match="model.safetensors is not the pinned file"):
        SentenceEmbedder.load(copy, load_finetuned_manifest(copy))


def _read_manifest(directory: Path) -> dict:
    return yaml.safe_load((directory / "manifest.yml").read_text())


def _write_manifest(directory: Path, manifest: dict) -> None:
    (directory / "manifest.yml").write_text(yaml.safe_dump(manifest))


def test_a_missing_manifest_or_file_is_refused(
    two_finetunes: tuple[Path, Path], tmp_path: Path
) -> None:
    copy = _copy(two_finetunes[0], tmp_path / "ft")
    (copy / "tokenizer.json").unlink()
    assert not finetuned_ok(copy)
    (copy / "manifest.yml").unlink()
    with pytest.raises(EmbeddingIntegrityError, match="manifest.yml is missing"):
        load_finetuned_manifest(copy)


def test_a_manifest_not_from_the_pinned_base_is_refused(
    two_finetunes: tuple[Path, Path], tmp_path: Path
) -> None:
    copy = _copy(two_finetunes[0], tmp_path / "ft")
    manifest = _read_manifest(copy)
    manifest["finetune"]["base_model_sha256"] = "0" * 64
    _write_manifest(copy, manifest)
    with pytest.raises(EmbeddingIntegrityError, match="pinned base weights"):
        load_finetuned_manifest(copy)


def test_a_changed_small_file_is_refused_even_with_its_hash_recorded(
    two_finetunes: tuple[Path, Path], tmp_path: Path
) -> None:
    # the fine-tune changes the weights only: another tokenizer is not ours,
    # whatever hash the manifest records for it
    import hashlib

    copy = _copy(two_finetunes[0], tmp_path / "ft")
    tokenizer = copy / "tokenizer.json"
    tokenizer.write_bytes(tokenizer.read_bytes() + b" ")
    manifest = _read_manifest(copy)
    for entry in manifest["files"]:
        if entry["name"] == "tokenizer.json":
            entry["sha256"] = hashlib.sha256(tokenizer.read_bytes()).hexdigest()
            entry["bytes"] = tokenizer.stat().st_size
    _write_manifest(copy, manifest)
    with pytest.raises(EmbeddingIntegrityError, match="tokenizer.json is not the pinned base file"):
        load_finetuned_manifest(copy)
