"""Toneless pinyin readings of characters, as pypinyin gives them, without loading pypinyin to read messages.

The engine reads a character's readings (the analyser's homophone repair, the crisis layer's sounds) with
pypinyin's ``Style.NORMAL`` and its phrase dictionary not loaded: what it gives for one character depends on
that character alone. pypinyin keeps its whole dictionary in memory (~11 MB, ~30 ms to import at every start);
:data:`TABLE`, shipped beside this module, holds the same readings of every character pypinyin reads (one line
each: the character, a tab, its readings joined by commas, most common first), written from the installed
pypinyin by ``python -m faq.pinyin``. ``tests/test_pinyin.py`` checks that the table is what pypinyin gives,
character by character, and that :func:`word_readings` reads words as pypinyin does.
"""

from __future__ import annotations

import functools
import os
import sys
from array import array
from bisect import bisect_left
from pathlib import Path

import numpy as np

#: The shipped table (see the module docstring).
TABLE = Path(__file__).resolve().parent / "pinyin_readings.txt"


@functools.cache
def _table() -> tuple[str, str, array[int]]:
    """The table's characters in code-point order (one string, searched by bisection), the table's text, and
    where each character's line begins in it, and the end (its readings begin two characters after its
    line's start and end before the next line). Read by numpy in a few passes, each character's readings
    split only when first asked (:func:`_split`): ~5x faster than a tuple per line, at every start."""
    text = TABLE.read_text(encoding="utf-8")
    if "\r" in text:  # (a checkout with Windows line ends)
        text = text.replace("\r\n", "\n")
    if not text.endswith("\n"):
        text += "\n"
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    starts = np.concatenate(([0], np.flatnonzero(codes == ord("\n")) + 1))
    heads = starts[:-1]
    if not (heads + 1 < starts[1:]).all() or not (codes[np.minimum(heads + 1, len(codes) - 1)] == ord("\t")).all():
        raise ValueError(f"{TABLE}: a line is not one character, a tab and its readings")
    bounds = array("q")
    bounds.frombytes(starts.astype(np.int64).tobytes())  # (8 bytes each, read one by one as Python ints)
    return codes[heads].tobytes().decode("utf-32-le"), text, bounds


@functools.cache
def _split(joined: str) -> tuple[str, ...]:
    """Readings joined by commas, as a tuple (each distinct tuple once: ~40,000 characters share a few thousand)."""
    return tuple(joined.split(","))


def readings(char: str) -> tuple[str, ...]:
    """Every toneless reading of one character, the most common first; () for none (not a character pypinyin
    reads): ``pypinyin.pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")``."""
    chars, text, starts = _table()
    at = bisect_left(chars, char)
    if len(char) != 1 or at >= len(chars) or chars[at] != char:
        return ()
    return _split(text[starts[at] + 2 : starts[at + 1] - 1])


def usual_reading(char: str) -> str | None:
    """The most common toneless reading of one character, or None: ``pypinyin.lazy_pinyin(char,
    errors="ignore")``'s only item."""
    found = readings(char)
    return found[0] if found else None


def word_readings(word: str) -> list[tuple[str, ...]]:
    """Every toneless reading of each character of ``word`` that has one, in order (the others left out):
    ``pypinyin.pinyin(word, style=Style.NORMAL, heteronym=True, errors="ignore")`` with pypinyin's phrase
    dictionary not loaded."""
    return [found for found in map(readings, word) if found]


def build() -> list[str]:
    """The table's lines, from the installed pypinyin (every character of its dictionary it reads)."""
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")
    from pypinyin import Style, lazy_pinyin, pinyin
    from pypinyin.pinyin_dict import pinyin_dict

    lines: list[str] = []
    for code in sorted(pinyin_dict):
        char = chr(code)
        found = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
        if not found:
            continue
        (every,) = found
        usual = lazy_pinyin(char, errors="ignore")
        if usual != every[:1] or not every or any(not r or "," in r or "\t" in r or "\n" in r for r in every):
            raise ValueError(f"pypinyin reads {char!r} in a way the table cannot hold: {every!r}, {usual!r}")
        lines.append(f"{char}\t{','.join(every)}")
    return lines


def main() -> int:
    lines = build()
    TABLE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} characters -> {TABLE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
