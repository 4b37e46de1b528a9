"""A small on-disk cache for what is expensive to compute and depends only on the knowledge base (the
matcher's learnt weights), keyed by a fingerprint of everything it depends on.

The directory is ``$FAQ_CACHE_DIR``, else ``$XDG_CACHE_HOME/loan-faq-bot``, else ``~/.cache/loan-faq-bot``;
``FAQ_CACHE_DIR=off`` disables it. Every failure (no directory, read-only file system, a corrupt or
foreign file) is a cache miss: the caller computes the value again.

Entries can also be shipped: :func:`pack` puts cache files in one file, and within :func:`shipped` an entry
the directory does not have is read from it, under the same key (the knowledge base's analysis,
:mod:`faq.analysis_file`). A key names what its value was computed from, so an entry found under it is the
value computing gives, wherever it is read from; a packed file is never written to.
"""

from __future__ import annotations

import contextlib
import io
import json
import marshal
import os
import tempfile
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

#: The layout of a file of packed entries (:func:`pack`; part of what it must say to be read).
PACK_FORMAT = "loan-faq-bot cache pack 1"


def directory() -> Path | None:
    redirected = _redirected.get()
    if redirected is not None:
        return redirected[0]
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


#: The directory :func:`redirected` names, while it is in force (in a tuple: it may be None, no cache).
_redirected: ContextVar[tuple[Path | None] | None] = ContextVar("faq_cache_redirected", default=None)


@contextlib.contextmanager
def redirected(path: Path | None) -> Iterator[None]:
    """Within: the cache directory is ``path`` (None: none), whatever the environment says (``faq train``
    computes in an empty one of its own), in this thread or task (a context variable)."""
    token = _redirected.set((path,))
    try:
        yield
    finally:
        _redirected.reset(token)


def _name(kind: str, key: str, suffix: str) -> str:
    """The file name of an entry (in the cache directory, and in a file of packed entries)."""
    return f"{kind}-{key[:40]}{suffix}"


def _path(kind: str, key: str) -> Path | None:
    root = directory()
    return root / _name(kind, key, ".json") if root is not None else None


def load_json(kind: str, key: str) -> dict[str, Any] | None:
    for handle in _sources(_name(kind, key, ".json")):
        with handle:
            try:
                value = json.loads(handle.read().decode("utf-8"))
            except (OSError, ValueError, UnicodeDecodeError):
                continue
        if not isinstance(value, dict) or value.get("key") != key:
            continue
        data = value.get("data")
        if isinstance(data, dict):
            return data
    return None


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
    return root / _name(kind, key, ".marshal")


def has_marshal(kind: str, key: str) -> bool:
    """Whether a value was saved by :func:`save_marshal` under ``kind`` and ``key``, or is shipped (it may
    still be unreadable)."""
    root = directory()
    name = _name(kind, key, ".marshal")
    if root is not None and (root / name).is_file():
        return True
    reading = _shipped.get()
    return reading is not None and name in reading.names()


def load_marshal(kind: str, key: str) -> Any:
    """A value saved by :func:`save_marshal` (builtin types only), or None: the first that
    :func:`load_marshal_all` reads."""
    return next(load_marshal_all(kind, key), None)


def load_marshal_all(kind: str, key: str) -> Iterator[Any]:
    """Every value saved by :func:`save_marshal` under ``kind`` and ``key`` where it may be read: the cache
    directory's, then the shipped one's (within :func:`shipped`), each read only when asked for."""
    for handle in _sources(_name(kind, key, ".marshal")):
        with handle:
            try:
                stored_key, value = marshal.load(handle)
            except (OSError, EOFError, ValueError, TypeError):
                continue
        if stored_key == key:
            yield value


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
    for handle in _sources(_name(kind, key, ".marshal")):
        with handle:
            try:
                found = _read_with_blobs(handle, key)
            except (OSError, EOFError, ValueError, TypeError):
                continue
        if found is not None:
            return found
    return None


def _read_with_blobs(handle: io.BufferedIOBase, key: str) -> tuple[Any, list[bytearray]] | None:
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


# ------------------------------------------------------------------------------------- shipped entries


def kind_of(name: str) -> str:
    """The kind of the entry a cache file is named for (``ngrams-<key>.marshal`` -> ``ngrams``)."""
    return name.rpartition("-")[0]


def pack(target: Path, entries: dict[str, bytes], version: str) -> bool:
    """Write cache files' bytes (by their names in the cache directory) into one file, for :func:`shipped`:
    a header (the format, ``version``: the code that computed them, and each name's place), then the files
    one after another. False when it could not be written (nothing is left behind)."""
    names = sorted(entries)
    index: dict[str, tuple[int, int]] = {}
    offset = 0
    for name in names:
        index[name] = (offset, len(entries[name]))
        offset += len(entries[name])

    def write(handle: IO[bytes]) -> None:
        marshal.dump((PACK_FORMAT, version, index), handle)
        for name in names:
            handle.write(entries[name])

    return write_atomically(target, write)


def _packed_index(handle: io.BufferedIOBase, version: str) -> dict[str, tuple[int, int]] | None:
    """The names and places of the entries of a file :func:`pack` wrote for ``version`` (None: any other)."""
    header = marshal.load(handle)
    if not (isinstance(header, tuple) and len(header) == 3 and header[:2] == (PACK_FORMAT, version)):
        return None
    index = header[2]
    if not isinstance(index, dict) or not all(
        isinstance(place, tuple) and len(place) == 2 and all(type(n) is int and n >= 0 for n in place)
        for place in index.values()
    ):
        return None
    return index


def packed_names(path: Path, version: str) -> set[str]:
    """The names of the entries packed in ``path`` for ``version`` (none when it is missing, not such a
    file, or packed by other code)."""
    try:
        with path.open("rb") as handle:
            index = _packed_index(handle, version)
    except (OSError, EOFError, ValueError, TypeError):
        return set()
    return set(index) if index is not None else set()


def unpacked(path: Path, name: str, version: str) -> bytes | None:
    """The bytes of the entry ``name`` packed in ``path`` for ``version``, or None (no such file or entry, a
    damaged file, other code)."""
    try:
        with path.open("rb") as handle:
            index = _packed_index(handle, version)
            place = index.get(name) if index is not None else None
            if place is None:
                return None
            offset, size = place
            handle.seek(handle.tell() + offset)
            data = handle.read(size)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return data if len(data) == size else None


@dataclass
class Shipped:
    """A file of packed entries read where the cache directory has none (:func:`shipped`), and the names
    of the entries looked up meanwhile (:attr:`asked`: whether the file is current, :mod:`faq.analysis_file`)."""

    path: Path | None
    #: what the file must have been packed for (:func:`pack`)
    version: str
    asked: set[str] = field(default_factory=set)
    _names: set[str] | None = None
    #: A second file of entries packed for the same ``version``, read for the entries of :attr:`also_kinds` that
    #: ``path`` lacks (kinds whose keys name all they were computed from, whichever knowledge base asks).
    also: Shipped | None = None
    also_kinds: frozenset[str] = frozenset()

    def names(self) -> set[str]:
        if self._names is None:
            self._names = packed_names(self.path, self.version) if self.path is not None else set()
        return self._names

    def read(self, name: str) -> bytes | None:
        if self.path is None or name not in self.names():
            return None
        return unpacked(self.path, name, self.version)


_shipped: ContextVar[Shipped | None] = ContextVar("faq_cache_shipped", default=None)


@contextlib.contextmanager
def shipped(
    path: Path | None, version: str, also: Path | None = None, also_kinds: frozenset[str] = frozenset()
) -> Iterator[Shipped]:
    """Within: an entry the cache directory does not have is read from the file of packed entries at
    ``path`` (None: none) when it was packed for ``version``, in this thread or task (a context variable);
    an entry of ``also_kinds`` that file does not give, from the file at ``also`` (packed for ``version``
    too). Yields the :class:`Shipped`, whose ``asked`` collects the names looked up."""
    second = Shipped(also, version) if also is not None and also_kinds and also != path else None
    reading = Shipped(path, version, also=second, also_kinds=also_kinds if second is not None else frozenset())
    token = _shipped.set(reading)
    try:
        yield reading
    finally:
        _shipped.reset(token)


def _sources(name: str) -> Iterator[io.BufferedIOBase]:
    """Where the entry ``name`` may be read, in order: the cache directory's file, then the shipped one's
    (within :func:`shipped`); each handle is opened only when the one before did not give the entry."""
    root = directory()
    if root is not None:
        try:
            handle = (root / name).open("rb")
        except OSError:
            pass
        else:
            yield handle
    reading = _shipped.get()
    if reading is not None:
        reading.asked.add(name)
        data = reading.read(name)
        if data is not None:
            yield io.BytesIO(data)
        if reading.also is not None and kind_of(name) in reading.also_kinds:
            data = reading.also.read(name)
            if data is not None:
                yield io.BytesIO(data)
