"""Compact read-only sequences for what an engine keeps per example (tens of thousands of them).

A Python list of 50,000 short strings costs ~5.5 MB (a 70-byte object per string); a list of 50,000 token
lists ~5 MB (a list object per example, even when the words themselves are shared). These hold the same
data in a few flat arrays and build each item when it is read, which costs a slice or a short list
comprehension: fine for what is read a few dozen times per message, or only while training.
"""

from __future__ import annotations

import operator
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import accumulate
from typing import overload

import numpy as np

#: From this many examples a knowledge base's per-example strings are worth holding compactly (below it the
#: saving is a fraction of a megabyte, and a plain list is read faster).
COMPACT_FROM = 5_000


def _position(i: int, length: int) -> int:
    """A sequence index as a position from 0 (negative ones count from the end), as a list reads it."""
    k = operator.index(i)
    if k < 0:
        k += length
    if k < 0:
        raise IndexError("index out of range")
    return k


class Strings(Sequence[str]):
    """Strings held as one string and each one's bounds; ``strings[i]`` is a slice of it."""

    __slots__ = ("_bounds", "_text")

    def __init__(self, strings: Iterable[str]) -> None:
        parts = list(strings)
        bounds = array("q", [0])
        bounds.extend(accumulate(map(len, parts)))  # (each string's end: the lengths summed, in one pass in C)
        self._text = "".join(parts)
        self._bounds = bounds

    def __len__(self) -> int:
        return len(self._bounds) - 1

    @overload
    def __getitem__(self, i: int) -> str: ...

    @overload
    def __getitem__(self, i: slice) -> list[str]: ...

    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        k = _position(i, len(self))
        bounds = self._bounds
        return self._text[bounds[k] : bounds[k + 1]]

    def __iter__(self) -> Iterator[str]:
        text, bounds = self._text, self._bounds
        for k in range(len(bounds) - 1):
            yield text[bounds[k] : bounds[k + 1]]

    def take(self, indices: Iterable[int]) -> list[str]:
        """The strings at ``indices`` (from 0, each in range), read in one pass: a few dozen per message."""
        text, bounds = self._text, self._bounds
        return [text[bounds[k] : bounds[k + 1]] for k in indices]


def strings_at(strings: Sequence[str], indices: Iterable[int]) -> list[str]:
    """``[strings[k] for k in indices]`` (indices from 0, each in range), a :class:`Strings` read in one pass."""
    if type(strings) is list:  # (the common case first: isinstance with an abstract base class costs ~1 us)
        return list(map(strings.__getitem__, indices))
    if isinstance(strings, Strings):
        return strings.take(indices)
    return list(map(strings.__getitem__, indices))


class TokenLists(Sequence[list[str]]):
    """Lists of words held as ids into one list of the distinct words, and each list's bounds;
    ``lists[i]`` is a new list of the same (shared) word objects."""

    __slots__ = ("_bounds", "_ids", "_words")

    def __init__(self, lists: Iterable[list[str]]) -> None:
        index: dict[str, int] = {}
        ids = array("i")
        bounds = array("q", [0])
        for words in lists:
            ids.extend([index.setdefault(w, len(index)) for w in words])
            bounds.append(len(ids))
        self._words = list(index)
        self._ids = ids
        self._bounds = bounds

    @classmethod
    def of_parts(cls, words: list[str], ids: array[int], bounds: array[int]) -> TokenLists:
        """The lists :meth:`parts` gave (``ids``: int32 positions in ``words``; ``bounds``: n + 1 values)."""
        if ids.typecode != "i" or bounds.typecode != "q" or not bounds or bounds[-1] != len(ids):
            raise ValueError("not the parts of token lists")
        out = cls.__new__(cls)
        out._words, out._ids, out._bounds = words, ids, bounds
        return out

    def parts(self) -> tuple[list[str], array[int], array[int]]:
        """The distinct words, every list's word positions in them, and the lists' bounds."""
        return self._words, self._ids, self._bounds

    def __len__(self) -> int:
        return len(self._bounds) - 1

    @overload
    def __getitem__(self, i: int) -> list[str]: ...

    @overload
    def __getitem__(self, i: slice) -> list[list[str]]: ...

    def __getitem__(self, i: int | slice) -> list[str] | list[list[str]]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        k = _position(i, len(self))
        bounds, words = self._bounds, self._words
        return [words[w] for w in self._ids[bounds[k] : bounds[k + 1]]]

    def __iter__(self) -> Iterator[list[str]]:
        bounds, words, ids = self._bounds, self._words, self._ids
        for k in range(len(bounds) - 1):
            yield [words[w] for w in ids[bounds[k] : bounds[k + 1]]]


class StringIndex(Mapping[str, int]):
    """A read-only map from distinct strings to their positions, answering exactly as a dict would in a
    fraction of its memory: the strings joined into one with their bounds, and their ``hash()`` values
    sorted beside their positions. :meth:`ids` looks many keys up at once (one binary search in numpy,
    then each candidate's string compared with the key). Hashes are computed in the running process
    (Python salts its string hash per process); strings whose hash an earlier string already has keep a
    small dict of their own."""

    __slots__ = ("_bounds", "_table", "_text")

    def __init__(self, text: str, bounds: array[int]) -> None:
        """``text``: the strings joined; ``bounds``: where each starts, and the end (n + 1 values). The
        hashes are computed at the first look-up (:meth:`_lookup`), not here: an index read and never
        asked (the crisis model's vocabulary, whose packed features answer every ordinary window) costs
        no hashing at a start (~0.03 s for its 82k strings)."""
        self._text = text
        self._bounds = bounds
        self._table: tuple[np.ndarray, np.ndarray, dict[str, int]] | None = None

    def _lookup(self) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
        """The sorted distinct hashes, each one's (first) position, and the strings whose hash an earlier
        string already has (position by string); computed once (two threads asking at once both compute
        the same table, and one of them is kept: one assignment)."""
        table = self._table
        if table is not None:
            return table
        n = len(self._bounds) - 1
        hashes = np.fromiter(map(hash, iter(self)), dtype=np.int64, count=n)
        # (the positions as int32, and the hashes sorted in place: the same values as hashes[order], with
        # two fewer arrays of n int64 alive, at the peak of a /reload that reads an n-gram model of 50k examples)
        order = np.argsort(hashes, kind="stable").astype(np.int32)
        hashes.sort()
        first = np.ones(n, dtype=bool)
        first[1:] = hashes[1:] != hashes[:-1]
        collided = {self._name(p): p for p in order[~first].tolist()}
        table = self._table = (hashes[first], order[first], collided)
        return table

    @classmethod
    def of(cls, strings: Iterable[str]) -> StringIndex:
        """The index of ``strings`` (distinct), each at its position."""
        held = Strings(strings)
        return cls(held._text, held._bounds)

    def joined(self) -> tuple[str, array[int]]:
        """The strings joined, and their bounds (what the constructor takes)."""
        return self._text, self._bounds

    def _name(self, position: int) -> str:
        return self._text[self._bounds[position] : self._bounds[position + 1]]

    def __len__(self) -> int:
        return len(self._bounds) - 1

    def __iter__(self) -> Iterator[str]:
        text, bounds = self._text, self._bounds
        for k in range(len(bounds) - 1):
            yield text[bounds[k] : bounds[k + 1]]

    def __getitem__(self, key: str) -> int:
        position = self.ids([key])[0] if isinstance(key, str) else -1
        if position < 0:
            raise KeyError(key)
        return position

    def _candidates(self, keys: list[str]) -> tuple[list[int], list[int]]:
        """For each key whose hash the index has: its place in ``keys``, and the position of the (first)
        string with that hash (the string itself still to be compared with the key)."""
        if not keys or len(self._bounds) < 2:
            return [], []
        hashes, positions, _ = self._lookup()
        size = len(hashes)
        wanted = np.fromiter(map(hash, keys), dtype=np.int64, count=len(keys))
        at = np.searchsorted(hashes, wanted)
        np.minimum(at, size - 1, out=at)
        hit = np.flatnonzero(hashes[at] == wanted)
        return hit.tolist(), positions[at[hit]].tolist()

    def ids(self, keys: list[str]) -> list[int]:
        """The position of each key, -1 for a key that is not in the index (``[d.get(k, -1) for k in keys]``)."""
        out = [-1] * len(keys)
        text, bounds = self._text, self._bounds
        candidates = self._candidates(keys)
        collided = self._table[2] if self._table is not None else {}
        for i, p in zip(*candidates, strict=True):
            if text[bounds[p] : bounds[p + 1]] == keys[i]:
                out[i] = p
            elif collided:
                out[i] = collided.get(keys[i], -1)
        return out

    def present(self, keys: Iterable[str]) -> list[int]:
        """The positions of those of ``keys`` that are in the index, in the order of ``keys`` (the crisis
        model's features of a window: most are not in its vocabulary)."""
        asked = list(keys)
        text, bounds = self._text, self._bounds
        candidates = self._candidates(asked)
        collided = self._table[2] if self._table is not None else {}
        out: list[int] = []
        for i, p in zip(*candidates, strict=True):
            if text[bounds[p] : bounds[p + 1]] == asked[i]:
                out.append(p)
            elif collided and (other := collided.get(asked[i])) is not None:
                out.append(other)
        return out
