"""Text normalisation shared by the knowledge base, the matcher and the day-count parser.

Every message goes through :func:`normalize` once: invalid code points are replaced, the text is cut to a
sane length before any other work, Traditional characters become Simplified (OpenCC ``t2s``), full-width
forms become half-width (NFKC), Latin letters become lower case, and emoji, punctuation and runs of white
space collapse to one space. The result is what the matcher and the day-count parser read.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Protocol

import opencc

from faq import converters, regexes

#: Messages are cut to this many characters before any work (Telegram allows 4096; people never need more
#: than a few hundred to ask a question, and the matcher's cost grows with length).
MAX_INPUT_CHARS = 600

_t2s = opencc.OpenCC("t2s")
#: Readers of Traditional Chinese: Taiwan forms and vocabulary (``s2twp``), Hong Kong forms (``s2hk``).
#: Without a known region (fixed texts such as /help): Taiwan character forms (``s2tw``), no vocabulary change.
_CONFIGS = {"t": "s2tw", "tw": "s2twp", "hk": "s2hk"}


@lru_cache(maxsize=3)
def _converter(key: str) -> opencc.OpenCC:
    """A Simplified->Traditional converter, loaded on the first reply that needs it (the three share their
    dictionaries: ~11 MB together, see :mod:`faq.converters`). The stored conversions are let go then:
    with a converter loaded they save nothing and cost ~1 MB."""
    global _stored
    _stored = None
    return converters.traditional(_CONFIGS[key])


def converter_loaded() -> bool:
    """Whether a Simplified->Traditional converter has been loaded in this process."""
    return _converter.cache_info().currsize > 0


#: Forms OpenCC produces that no reader writes today (爲 覈 纔), fixed after every conversion.
_ALWAYS_FIX = {"爲": "為", "覈": "核", "纔": "才"}
#: Taiwan readers write 裡 著 群 台 (OpenCC's s2twp keeps 平臺 and 一臺) and 訊息 for messages.
_TW_FIX = {"裏": "裡", "着": "著", "羣": "群", "臺": "台", "資訊": "訊息"}
_HK_FIX = {"臺": "台"}
_FIXES = {"t": {**_ALWAYS_FIX, **_HK_FIX}, "tw": {**_ALWAYS_FIX, **_TW_FIX}, "hk": {**_ALWAYS_FIX, **_HK_FIX}}
#: Words of one meaning that readers write differently: the reply uses the reader's own one.
READER_WORDS: tuple[tuple[str, ...], ...] = (
    ("聯絡人", "聯繫人"),
    ("簡訊", "短信"),
    ("訊息", "信息", "資訊"),
    ("平台", "平臺"),
)
# Cantonese particles and Hong Kong vocabulary: a reader who writes them gets Hong Kong forms.
_CANTONESE = regexes.lazy(
    r"[咗嘅唔佢冇㗎哋嚟喺嘢畀噉啲咩]|係咪|係唔係|點算|點樣|點做|點解|咁點|屋企|老細|信貸評級|財務公司|私隱|搵"
)

# Anything that is not a letter, a digit, a CJK ideograph or one of the few signs that carry meaning for
# day counts and amounts (%, :, ., -, +) becomes a space: punctuation, emoji, symbols, control characters.
_NOISE = regexes.lazy(r"[^\w\u3400-\u9fff%:.+\-]+", re.UNICODE)
_SPACES = regexes.lazy(r"\s+")
_HAN = regexes.lazy(r"[\u3400-\u9fff]")
#: A lone surrogate (no valid text holds one): what UTF-8 cannot encode.
_SURROGATE = regexes.lazy("[\ud800-\udfff]")


def safe_text(text: str | bytes | None, limit: int = MAX_INPUT_CHARS) -> str:
    """Return ``text`` as a valid, bounded ``str``: bytes are decoded with replacement, lone surrogates
    (broken UTF-8 that reached Python) are replaced, and the text is cut to ``limit`` characters."""
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text[: limit * 4].decode("utf-8", errors="replace")
    text = text[:limit]
    if _SURROGATE.search(text) is None:  # (a message is made safe several times: most have none)
        return text
    return text.encode("utf-8", errors="replace").decode("utf-8")


@lru_cache(maxsize=4096)
def to_simplified(text: str) -> str:
    return str(_t2s.convert(text))


def to_traditional(text: str, variant: str | None = None) -> str:
    """Simplified -> Traditional for a reader: ``"tw"`` Taiwan (OpenCC ``s2twp``, 聯絡人, 簡訊), ``"hk"`` Hong
    Kong (``s2hk``), None / ``"t"`` character forms only (``s2tw``); never 爲 / 覈 / 纔 (and, for Taiwan, never
    裏 / 着 / 羣).

    Converted line by line, each line remembered: a reply is mostly lines of the knowledge base (an answer's
    points, a stage block's fields, the details) in a new combination each time, and converting whole replies
    cost ~0.5 ms each. The same text either way: OpenCC's phrases never hold a newline, so its longest-match
    segmentation never crosses one, and neither do the fixes below."""
    key = variant if variant in _CONFIGS else "t"
    return "\n".join([_line_to_traditional(line, key) for line in text.split("\n")])


@lru_cache(maxsize=8192)
def _line_to_traditional(line: str, key: str) -> str:
    """One line (no newline) of :func:`to_traditional` with the converter ``key``: from the stored
    conversions of the knowledge base's texts when they hold all of it (:mod:`faq.conversions`), else
    converted by OpenCC (the converter is loaded then, and the texts the stored conversions lacked are
    converted and stored for later starts: with a converter loaded, that costs only the conversions)."""
    stored = _stored
    found = stored.line(line, key) if stored is not None else None
    if found is not None:
        return found
    converted = convert_line(line, key)
    if stored is not None:
        stored.store_missing()
    return converted


def convert_line(line: str, key: str) -> str:
    """One line (no newline) converted by OpenCC with the converter ``key``, and the fixes."""
    text = str(_converter(key).convert(line))
    for wrong, right in _FIXES[key].items():
        text = text.replace(wrong, right)
    return text


class StoredConversions(Protocol):
    """Conversions made ahead of time (:class:`faq.conversions.Stored`)."""

    def line(self, line: str, key: str) -> str | None: ...

    def store_missing(self) -> None: ...


#: The stored conversions of the knowledge base's texts of the engine loaded last (:func:`use_stored`).
_stored: StoredConversions | None = None


def use_stored(stored: StoredConversions | None) -> None:
    """Convert lines from ``stored`` when it holds all of them (an engine's build installs its own; any
    conversions give the same text, so an engine still serving may read those of the next one). Not once a
    converter is loaded (see :func:`_converter`)."""
    global _stored
    _stored = None if converter_loaded() else stored


def reader_variant(text: str) -> str:
    """``"hk"`` when a Traditional message has Cantonese particles or Hong Kong words, else ``"tw"``."""
    return "hk" if _CANTONESE.search(text) else "tw"


def reader_words(text: str) -> tuple[str, ...]:
    """The words of :data:`READER_WORDS` the reader used in ``text``."""
    return tuple(word for group in READER_WORDS for word in group if word in text)


def use_reader_words(text: str, words: tuple[str, ...]) -> str:
    """``text`` with each :data:`READER_WORDS` group written the way the reader writes it."""
    for word in words:
        group = next((g for g in READER_WORDS if word in g), ())
        for other in group:
            if other != word and other not in word:
                text = text.replace(other, word)
    return text


@lru_cache(maxsize=64)
def is_traditional(text: str) -> bool:
    """True when the message is written in Traditional characters.

    A character counts when OpenCC's Traditional->Simplified conversion changes it. One such character is
    enough in a message of up to 20 Han characters (most Traditional sentences of that length have only one:
    "我想從淡水河跳下去", "外包催收公司查得到嗎"); a longer one needs two, so that a stray variant in long
    Simplified text does not switch the reply's script. (The last few texts are remembered: the crisis layer
    and the engine both ask about every message.)
    """
    text = safe_text(text, len(text))  # OpenCC refuses lone surrogates
    simplified = to_simplified(text)
    changed = sum(map(str.__ne__, text, simplified))  # characters the conversion changed
    if changed == 0:
        return False
    han = len(_HAN.findall(text))
    return changed >= 2 or han <= 20


def normalize(text: str | bytes | None, limit: int = MAX_INPUT_CHARS) -> str:
    """The canonical form the engine works on (see the module docstring)."""
    return _normalized(safe_text(text, limit))


def normalize_example(text: str | bytes | None, limit: int = MAX_INPUT_CHARS) -> str:
    """:func:`normalize`, the same text, remembering nothing: for the knowledge base's examples, each
    normalised once or twice while an engine is built. Through :func:`normalize` they would fill its
    caches (those of messages) with the last 4,096 examples: entries made while a /reload builds its
    engine, scattered over the allocator's pages among what the build frees, which then keep those pages
    (~9 MB at 50k examples) from being given back once the build is over or the old engine let go."""
    return _normal_form(safe_text(text, limit), _simplified)


def _simplified(text: str) -> str:
    """:func:`to_simplified`, remembering nothing."""
    return str(_t2s.convert(text))


@lru_cache(maxsize=16)
def _normalized(text: str) -> str:
    """:func:`normalize` of a text already made safe and cut. The last few are remembered: the engine and
    the crisis layer both normalise every message (a few, not more: a message may be 4096 characters)."""
    return _normal_form(text, to_simplified)


def _normal_form(text: str, simplified: Callable[[str], str]) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = simplified(text).lower()
    text = _NOISE.sub(" ", text).replace("_", " ")
    return _SPACES.sub(" ", text).strip()
