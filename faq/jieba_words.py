"""jieba's frequent words as the analyser reads them, shipped beside this module for a first start.

The analyser segments with a reduced copy of jieba's dictionary (:data:`faq.analyze.MIN_WORD_FREQUENCY`: the
words seen at least that often, and their prefixes, which jieba's word graph needs), built from jieba's
``dict.txt`` at the first start and kept in the cache directory from then on. Building it takes ~0.2 s of CPU,
a sixth of a first start from an empty cache (a fresh checkout or install, a container whose image did not
build the cache); :data:`FILE` holds the same table, compressed (~0.75 MB), and reading it takes ~0.07 s. It is
read only while its key, a digest of the installed ``dict.txt`` and of the bound, is the one it was written
for; otherwise the table is built as before. ``python -m faq.jieba_words`` writes it from the installed
jieba; ``tests/test_analyze.py`` checks that it is what building gives.
"""

from __future__ import annotations

import hashlib
import sys
import zlib
from pathlib import Path

import numpy as np

#: The shipped table (see the module docstring).
FILE = Path(__file__).resolve().parent / "jieba_words.zlib"
#: How the table is laid out (part of its key).
FORMAT = "jieba-words-1"


def key(dictionary: bytes, minimum: int) -> str:
    """The key of the table of ``dictionary`` (the bytes of jieba's ``dict.txt``) with the bound ``minimum``."""
    return hashlib.sha256(f"{FORMAT}\n{minimum}\n".encode() + dictionary).hexdigest()


def encode(freq: dict[str, int], total: int, table_key: str) -> bytes:
    """The file's bytes: the key, the total and the words (in their order), then their counts, compressed."""
    if any("\n" in word or "\f" in word for word in freq):
        raise ValueError("a word with a line or form feed cannot be stored")
    text = f"{table_key}\f{total}\f" + "\n".join(freq) + "\f" + " ".join(map(str, freq.values()))
    return zlib.compress(text.encode("utf-8"), 9)


def read(dictionary: bytes, minimum: int, path: Path = FILE) -> tuple[dict[str, int], int] | None:
    """The shipped table (word -> count, and the counts' total) when it was written for ``dictionary`` and
    ``minimum``; None otherwise (no file, another jieba, a damaged file)."""
    try:
        stored_key, total, words, counts = zlib.decompress(path.read_bytes()).decode("utf-8").split("\f")
        if stored_key != key(dictionary, minimum):
            return None
        names = words.split("\n")
        # (numpy's parser, ~3x faster than int() per count; it stops at anything that is no number, and
        # the lengths then differ)
        values = np.fromstring(counts, dtype=np.int64, sep=" ").tolist()
        if len(names) != len(values):
            return None
        return dict(zip(names, values, strict=True)), int(total)
    except (OSError, ValueError, DeprecationWarning, zlib.error, UnicodeDecodeError):  # (numpy warns of a bad count)
        return None


def main() -> int:
    from faq.analyze import MIN_WORD_FREQUENCY, jieba_dictionary_path, read_dictionary

    raw = jieba_dictionary_path().read_bytes()
    freq, total = read_dictionary(raw.decode("utf-8"))
    FILE.write_bytes(encode(freq, total, key(raw, MIN_WORD_FREQUENCY)))
    print(f"{len(freq)} words and prefixes -> {FILE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
