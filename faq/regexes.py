"""The knowledge base's regexes (the crisis layer's ~300): checked once per set of patterns and Python, and
compiled once per process when a message first needs one.

Compiling them all takes ~0.1-0.15 s of CPU of a start (mostly the standard library building a character
table for every set of Chinese characters), though a message needs only the few its characters let through
(:mod:`faq.screens`). So :func:`errors` (what ``faq check`` and every load report) remembers in the cache
(:mod:`faq.cache`, kind ``regexes-checked``) that a list of patterns all compiled, under a key that is a
digest of the pattern texts and of Python's regex engine (its version and the code of ``re``): another
pattern or another Python is compiled and checked again. :func:`compiled` compiles a pattern at its first use
and keeps it for the process (the ``re`` module's own cache holds 512 and a start asks for more).

The modules' own patterns (~200, defined at module level in :mod:`faq.days`, :mod:`faq.readings`,
:mod:`faq.questions` and others) are :func:`lazy`: each is compiled when it is first used, not when its
module is imported. A first reply uses about 60 of them, a few hundred messages about 160; compiling them
all at import took ~0.1 s of CPU of every start. :func:`lazy_patterns` lists them (a test compiles every
one, so that a broken pattern still fails the tests, not a message).
"""

from __future__ import annotations

import functools
import hashlib
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from faq import cache

#: The cache entries of :func:`errors` (a list of patterns that all compiled).
KIND = "regexes-checked"


@functools.cache
def compiled(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled, once per process."""
    return re.compile(pattern)


#: The attributes of a compiled pattern a :func:`lazy` one hands on once compiled (its own ``pattern`` is its
#: text from the start).
_PATTERN_API = (
    "search", "match", "fullmatch", "sub", "subn", "finditer", "findall", "split", "scanner", "flags", "groups",
    "groupindex",
)


class _Pattern:
    """A :func:`lazy` pattern once compiled: the compiled pattern's methods and attributes in the instance's
    own dict. A plain class with no ``__getattr__``: a class that has one is read through a slower hook at
    every attribute read (and Python 3.11 does not specialise the read), ~0.3 us more per call."""

    pattern: str
    _flags: int

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern, self._flags)

    def __repr__(self) -> str:
        return f"lazy({self.pattern!r}, {self._flags})"


class _LazyPattern(_Pattern):
    """A regular expression compiled at its first use (see :func:`lazy`). The first attribute read compiles it,
    copies the compiled pattern's methods into the instance and makes it a :class:`_Pattern`, whose reads
    find them there."""

    def __init__(self, pattern: str, flags: int) -> None:
        self.pattern = pattern
        self._flags = flags

    def __getattr__(self, name: str) -> Any:
        compiled = self.compiled()
        if name.startswith("__"):  # (copy, pickle and the like: as of the compiled pattern, never kept here)
            return getattr(compiled, name)
        for attribute in _PATTERN_API:
            self.__dict__[attribute] = getattr(compiled, attribute)
        self.__class__ = _Pattern  # type: ignore[assignment]  # (the same instance, read without the hook now)
        return getattr(compiled, name)


_LAZY: list[_Pattern] = []


def lazy(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, compiled when it is first used (for a module's patterns: importing the
    module compiles none of them). It offers a compiled pattern's methods and attributes (``search``,
    ``sub``, ``pattern``, ``flags``...), not its type: ``isinstance(x, re.Pattern)`` is false, and ``re``'s
    functions (``re.sub(pattern, ...)``) do not take it."""
    found = _LazyPattern(pattern, flags)
    _LAZY.append(found)
    return cast("re.Pattern[str]", found)


def lazy_patterns() -> list[tuple[str, int]]:
    """The text and flags of every :func:`lazy` pattern made so far in this process."""
    return [(found.pattern, found._flags) for found in _LAZY]


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
