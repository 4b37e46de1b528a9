"""The knowledge base's regexes (the crisis layer's ~300): checked once per set of patterns and Python, and
compiled once per process when a message first needs one.

Compiling them all takes ~0.1-0.15 s of CPU of a start (mostly the standard library building a character
table for every set of Chinese characters), though a message needs only the few its characters let through
(:mod:`faq.screens`). So :func:`errors` (what ``faq check`` and every load report) remembers in the cache
(:mod:`faq.cache`, kind ``regexes-checked``) that a list of patterns all compiled, under a key that is a
digest of the pattern texts and of Python's regex engine (its version and the code of ``re``): another
pattern or another Python is compiled and checked again. :func:`compiled` compiles a pattern at its first use
and keeps it for the process (the ``re`` module's own cache holds 512 and a start asks for more).
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from faq import cache

#: The cache entries of :func:`errors` (a list of patterns that all compiled).
KIND = "regexes-checked"


@functools.cache
def compiled(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled, once per process."""
    return re.compile(pattern)


@functools.cache
def engine_version() -> str | None:
    """A digest of Python's version and of the ``re`` package's code (its files' bytes); None when a source
    cannot be read (nothing is remembered then). Read once per process."""
    digest = hashlib.sha256(b"regexes checked 1\n" + sys.version.encode() + b"\0")
    try:
        folder = Path(re.__file__).parent
        for source in sorted(folder.glob("*.py")):
            digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    except (OSError, TypeError):
        return None
    return digest.hexdigest()


def key_of(patterns: Sequence[str]) -> str | None:
    """The cache key of a list of patterns: :func:`engine_version` and each pattern's text, in order."""
    version = engine_version()
    if version is None:
        return None
    digest = hashlib.sha256(version.encode() + b"\0" + str(len(patterns)).encode())
    for pattern in patterns:
        digest.update(b"\0\x01" + pattern.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def errors(patterns: Sequence[str]) -> list[tuple[int, re.error]]:
    """The index of each pattern that does not compile, with its error, in order (empty: all compile). A
    list that all compiled before (the cache under :func:`key_of`) is not compiled again."""
    key = key_of(patterns)
    if key is not None and cache.load_marshal(KIND, key) is True:
        return []
    found: list[tuple[int, re.error]] = []
    for i, pattern in enumerate(patterns):
        try:
            re.compile(pattern)
        except re.error as exc:
            found.append((i, exc))
    if not found and key is not None:
        cache.save_marshal(KIND, key, True)
    return found
