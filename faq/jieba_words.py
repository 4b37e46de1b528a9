"""jieba's frequent words as the analyser reads them, shipped beside this module for every start.

The analyser segments with a reduced copy of jieba's dictionary (:data:`faq.analyze.MIN_WORD_FREQUENCY`: the
words seen at least that often, and their prefixes, which jieba's word graph needs). Building it from
jieba's ``dict.txt`` takes ~0.2 s of CPU; :data:`FILE` holds the same table laid out as it is read back (the
words in one string, the counts as little-endian 64-bit integers, through marshal: ~0.05 s, most of it the
dict itself), so a start reads it as fast as the cache directory's copy, which is kept only when the table
had to be built. It is read only while its key, a digest of the installed ``dict.txt`` and of the bound, is
the one it was written for; otherwise the table is built as before. ``python -m faq.jieba_words`` writes it
from the installed jieba; ``tests/test_analyze.py`` checks that it is what building gives.
"""

from __future__ import annotations

import hashlib
import marshal
import sys
from pathlib import Path

import numpy as np

#: The shipped table (see the module docstring).
FILE = Path(__file__).resolve().parent / "jieba_words.table"
#: How the table is laid out (part of its key).
FORMAT = "jieba-words-2"
#: The counts' layout in the file.
_COUNTS = np.dtype("<i8")


def key(dictionary: bytes, minimum: int) -> str:
    """The key of the table of ``dictionary`` (the bytes of jieba's ``dict.txt``) with the bound ``minimum``."""
    return hashlib.sha256(f"{FORMAT}\n{minimum}\n".encode() + dictionary).hexdigest()


def encode(freq: dict[str, int], total: int, table_key: str) -> bytes:
    """The file's bytes: the format, the key, the total, the words (in their order, one string) and their
    counts (one buffer), marshalled."""
    if any("\n" in word for word in freq):
        raise ValueError("a word with a line feed cannot be stored")
    counts = np.fromiter(freq.values(), dtype=_COUNTS, count=len(freq)).tobytes()
    return marshal.dumps((FORMAT, table_key, total, "\n".join(freq), counts))


def read(table_key: str, path: Path | None = None) -> tuple[dict[str, int], int] | None:
    """The table shipped in ``path`` (default :data:`FILE`): word -> count, and the counts' total, when it was
    written for ``table_key`` (:func:`key` of the installed dictionary); None otherwise (no file, another
    jieba, a damaged file)."""
    try:
        stored = marshal.loads((path or FILE).read_bytes())
        if not (isinstance(stored, tuple) and len(stored) == 5 and stored[:2] == (FORMAT, table_key)):
            return None
        _, _, total, words, counts = stored
        if not (isinstance(total, int) and isinstance(words, str) and isinstance(counts, bytes)):
            return None
        names = words.split("\n")
        values = np.frombuffer(counts, dtype=_COUNTS).tolist()
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if len(names) != len(values):
        return None
    return dict(zip(names, values, strict=True)), total


def main() -> int:
    from faq.analyze import MIN_WORD_FREQUENCY, jieba_dictionary_path, read_dictionary

    raw = jieba_dictionary_path().read_bytes()
    freq, total = read_dictionary(raw.decode("utf-8"))
    FILE.write_bytes(encode(freq, total, key(raw, MIN_WORD_FREQUENCY)))
    print(f"{len(freq)} words and prefixes -> {FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
