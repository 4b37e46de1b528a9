"""A small on-disk cache for what is expensive to compute and depends only on the knowledge base (the
matcher's learnt weights), keyed by a fingerprint of everything it depends on.

The directory is ``$FAQ_CACHE_DIR``, else ``$XDG_CACHE_HOME/loan-faq-bot``, else ``~/.cache/loan-faq-bot``;
``FAQ_CACHE_DIR=off`` disables it. Every failure (no directory, read-only file system, a corrupt or
foreign file) is a cache miss: the caller computes the value again.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def directory() -> Path | None:
    configured = os.environ.get("FAQ_CACHE_DIR")
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "none") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError):  # no home directory (some containers): no cache
            return None
    return Path(base) / "loan-faq-bot"


def _path(kind: str, key: str) -> Path | None:
    root = directory()
    return root / f"{kind}-{key[:40]}.json" if root is not None else None


def load_json(kind: str, key: str) -> dict[str, Any] | None:
    path = _path(kind, key)
    if path is None:
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(value, dict) or value.get("key") != key:
        return None
    data = value.get("data")
    return data if isinstance(data, dict) else None


def save_json(kind: str, key: str, data: dict[str, Any]) -> None:
    """Write atomically (a temporary file renamed), so that a reader never sees half a file."""
    path = _path(kind, key)
    if path is None:
        return
    encoded = json.dumps({"key": key, "data": data}).encode("utf-8")
    write_atomically(path, lambda handle: handle.write(encoded))


def write_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> bool:
    """Create ``path`` (and its folder) through ``write`` into a temporary file beside it, renamed over
    ``path`` once written, so that a reader never sees half a file. False when that failed (an error of the
    file system, or ``write`` raising ValueError or TypeError): no file is left behind, ``path`` is as it
    was."""
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False, suffix=".tmp") as handle:
            temporary = handle.name
            write(handle)
        os.replace(temporary, path)
    except (OSError, ValueError, TypeError):
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        return False
    return True


def _marshal_path(root: Path, kind: str, key: str) -> Path:
    return root / f"{kind}-{key[:40]}.marshal"


def has_marshal(kind: str, key: str) -> bool:
    """Whether a value was saved by :func:`save_marshal` under ``kind`` and ``key`` (it may still be unreadable)."""
    root = directory()
    return root is not None and _marshal_path(root, kind, key).is_file()


def load_marshal(kind: str, key: str) -> Any:
    """A value saved by :func:`save_marshal` (builtin types only), or None."""
    root = directory()
    if root is None:
        return None
    try:
        with _marshal_path(root, kind, key).open("rb") as handle:
            stored_key, value = marshal.load(handle)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return value if stored_key == key else None


def save_marshal(kind: str, key: str, value: Any) -> None:
    root = directory()
    if root is None:
        return
    write_atomically(_marshal_path(root, kind, key), lambda handle: marshal.dump((key, value), handle))


def load_with_blobs(kind: str, key: str) -> tuple[Any, list[bytearray]] | None:
    """A value saved by :func:`save_with_blobs` and its blobs, or None. Each blob is read from the file
    straight into a buffer of its own, which its arrays can keep (``numpy.frombuffer``): nothing is read
    twice, whereas ``marshal.load`` copies every bytes object through a buffer as large as the largest
    one (5.6 MB at 50k examples, at the peak of a /reload)."""
    root = directory()
    if root is None:
        return None
    try:
        with _marshal_path(root, kind, key).open("rb") as handle:
            stored = marshal.load(handle)
            if not (isinstance(stored, tuple) and len(stored) == 3 and stored[0] == key):
                return None
            value, sizes = stored[1], stored[2]
            if not (isinstance(sizes, list) and all(type(size) is int for size in sizes)):
                return None
            blobs: list[bytearray] = []
            for size in sizes:
                blob = bytearray(size)
                if handle.readinto(blob) != size:
                    return None
                blobs.append(blob)
            if handle.read(1):
                return None
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return value, blobs


def save_with_blobs(kind: str, key: str, value: Any, blobs: list[Any]) -> None:
    """Save ``value`` (builtin types, as :func:`save_marshal`) and ``blobs`` (objects with the buffer
    protocol: bytes, contiguous numpy arrays) after it, for :func:`load_with_blobs`."""
    root = directory()
    if root is None:
        return

    def write(handle: IO[bytes]) -> None:
        views = [memoryview(blob).cast("B") for blob in blobs]
        marshal.dump((key, value, [view.nbytes for view in views]), handle)
        for view in views:
            handle.write(view)

    write_atomically(_marshal_path(root, kind, key), write)
