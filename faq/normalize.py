"""Text normalisation shared by the knowledge base, the matcher and the day-count parser.

Every message goes through :func:`normalize` once: invalid code points are replaced, the text is cut to a
sane length before any other work, Traditional characters become Simplified (OpenCC ``t2s``), full-width
forms become half-width (NFKC), Latin letters become lower case, and emoji, punctuation and runs of white
space collapse to one space. The result is what the matcher and the day-count parser read.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

#: Messages are cut to this many characters before any work (Telegram allows 4096; people never need more
#: than a few hundred to ask a question, and the matcher's cost grows with length).
MAX_INPUT_CHARS = 600

_t2s = opencc.OpenCC("t2s")
_s2t = opencc.OpenCC("s2t")

# Anything that is not a letter, a digit, a CJK ideograph or one of the few signs that carry meaning for
# day counts and amounts (%, :, ., -, +) becomes a space: punctuation, emoji, symbols, control characters.
_NOISE = re.compile(r"[^\w\u3400-\u9fff%:.+\-]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_HAN = re.compile(r"[\u3400-\u9fff]")


def safe_text(text: str | bytes | None, limit: int = MAX_INPUT_CHARS) -> str:
    """Return ``text`` as a valid, bounded ``str``: bytes are decoded with replacement, lone surrogates
    (broken UTF-8 that reached Python) are replaced, and the text is cut to ``limit`` characters."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text[: limit * 4].decode("utf-8", errors="replace")
    text = text[:limit]
    return text.encode("utf-8", errors="replace").decode("utf-8")


@lru_cache(maxsize=4096)
def to_simplified(text: str) -> str:
    return str(_t2s.convert(text))


@lru_cache(maxsize=1024)
def to_traditional(text: str) -> str:
    return str(_s2t.convert(text))


def is_traditional(text: str) -> bool:
    """True when the message is written in Traditional characters.

    A character counts when OpenCC's Traditional->Simplified conversion changes it. One such character is
    enough in a short message; a longer one needs a few, so that a stray variant in Simplified text does
    not switch the reply's script.
    """
    text = safe_text(text, len(text))  # OpenCC refuses lone surrogates
    simplified = to_simplified(text)
    changed = sum(1 for a, b in zip(text, simplified, strict=False) if a != b)
    if changed == 0:
        return False
    han = len(_HAN.findall(text))
    return changed >= 2 or han <= 8


def normalize(text: str | bytes | None, limit: int = MAX_INPUT_CHARS) -> str:
    """The canonical form the engine works on (see the module docstring)."""
    text = safe_text(text, limit)
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text).lower()
    text = _NOISE.sub(" ", text).replace("_", " ")
    return _SPACES.sub(" ", text).strip()
