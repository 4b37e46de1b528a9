"""Compact read-only sequences for what an engine keeps per example (tens of thousands of them).

A Python list of 50,000 short strings costs ~5.5 MB (a 70-byte object per string); a list of 50,000 token
lists ~5 MB (a list object per example, even when the words themselves are shared). These hold the same
data in a few flat arrays and build each item when it is read, which costs a slice or a short list
comprehension: fine for what is read a few dozen times per message, or only while training.
"""

from __future__ import annotations

import operator
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import overload


class Strings(Sequence[str]):
    """Strings held as one string and each one's bounds; ``strings[i]`` is a slice of it."""

    __slots__ = ("_bounds", "_text")

    def __init__(self, strings: Iterable[str]) -> None:
        parts = list(strings)
        bounds = array("q", [0])
        total = 0
        for part in parts:
            total += len(part)
            bounds.append(total)
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
        k = operator.index(i)
        if k < 0:
            k += len(self)
        if k < 0:
            raise IndexError("index out of range")
        bounds = self._bounds
        return self._text[bounds[k] : bounds[k + 1]]

    def __iter__(self) -> Iterator[str]:
        text, bounds = self._text, self._bounds
        for k in range(len(bounds) - 1):
            yield text[bounds[k] : bounds[k + 1]]


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

    def __len__(self) -> int:
        return len(self._bounds) - 1

    @overload
    def __getitem__(self, i: int) -> list[str]: ...

    @overload
    def __getitem__(self, i: slice) -> list[list[str]]: ...

    def __getitem__(self, i: int | slice) -> list[str] | list[list[str]]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        k = operator.index(i)
        if k < 0:
            k += len(self)
        if k < 0:
            raise IndexError("index out of range")
        bounds, words = self._bounds, self._words
        return [words[w] for w in self._ids[bounds[k] : bounds[k + 1]]]

    def __iter__(self) -> Iterator[list[str]]:
        bounds, words, ids = self._bounds, self._words, self._ids
        for k in range(len(bounds) - 1):
            yield [words[w] for w in ids[bounds[k] : bounds[k + 1]]]
