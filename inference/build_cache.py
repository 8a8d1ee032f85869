"""Built models cached outside the checkout, keyed by a hash of everything they are built from.

A fresh clone on a machine that already built the same models (same corpus, same training and
conversion code, same shipped weights) copies them in seconds instead of rebuilding them for
minutes; any change to those inputs changes the key, so a stale model is never reused.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

CACHE_ENV = "TRIAGE_BUILD_CACHE"
COMPLETE_MARKER = ".cache-complete"


def cache_root() -> Path:
    """``$TRIAGE_BUILD_CACHE``, else ``$XDG_CACHE_HOME/triage-builds`` (``~/.cache/triage-builds``)."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "triage-builds"


def inputs_key(paths: Iterable[Path]) -> str:
    """SHA-256 over the names and bytes of ``paths`` (a directory counts as its files, sorted)."""
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        files = sorted(f for f in path.rglob("*") if f.is_file() and "__pycache__" not in f.parts) \
            if path.is_dir() else [path]
        for file in files:
            digest.update(file.name.encode() + b"\0")
            with open(file, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


def restore_or_build(target: Path, key: str, build: Callable[[], object]) -> bool:
    """Fill ``target`` from the cache entry for ``key`` if there is one (True), else ``build()``
    it and store a copy in the cache for the next clone (False). A cache that cannot be written
    (read-only home, full disk) only costs the copy, never the build."""
    entry = cache_root() / f"{target.name}-{key[:20]}"
    if (entry / COMPLETE_MARKER).is_file():
        _copy_atomically(entry, target, marker=False)
        return True
    build()
    try:
        _copy_atomically(target, entry, marker=True)
    except OSError:
        pass
    return False


def _copy_atomically(source: Path, target: Path, *, marker: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        copied = tmp / "copy"
        shutil.copytree(source, copied, ignore=shutil.ignore_patterns(COMPLETE_MARKER))
        if marker:
            (copied / COMPLETE_MARKER).write_text("")
        if target.exists():
            shutil.rmtree(target)
        copied.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
