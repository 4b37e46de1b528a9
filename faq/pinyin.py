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
from bisect import bisect_left
from pathlib import Path

#: The shipped table (see the module docstring).
TABLE = Path(__file__).resolve().parent / "pinyin_readings.txt"


@functools.cache
def _table() -> tuple[str, list[tuple[str, ...]]]:
    """The table's characters in code-point order (one string, searched by bisection) and each one's readings
    (each distinct tuple once: ~40,000 characters share a few thousand)."""
    chars: list[str] = []
    readings: list[tuple[str, ...]] = []
    distinct: dict[str, tuple[str, ...]] = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        char, _, joined = line.partition("\t")
        found = distinct.get(joined)
        if found is None:
            found = distinct[joined] = tuple(joined.split(","))
        chars.append(char)
        readings.append(found)
    return "".join(chars), readings


def readings(char: str) -> tuple[str, ...]:
    """Every toneless reading of one character, the most common first; () for none (not a character pypinyin
    reads): ``pypinyin.pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")``."""
    chars, table = _table()
    at = bisect_left(chars, char)
    return table[at] if len(char) == 1 and at < len(chars) and chars[at] == char else ()


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
