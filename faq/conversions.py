"""The knowledge base's reply texts in Traditional characters, converted ahead of time and stored, so that a
running bot loads OpenCC's Simplified -> Traditional converters (~12 MB, :mod:`faq.converters`) only when a
reply holds a text it has no stored conversion for.

A reply is made of the knowledge base's texts (answers, titles, stage texts, the fixed texts, the crisis
layer's and the tools' texts) joined with punctuation, day counts and names. :func:`faq.normalize.to_traditional`
converts it line by line; here a line is cut further, at *separators*: characters that no key of any
dictionary the three converters read holds (nor a fix of :data:`faq.normalize._FIXES`), of the ranges
:data:`CANDIDATES` (ASCII, Latin and general punctuation, CJK punctuation, full-width forms, private use,
emoji). OpenCC converts a text ``A + c + B`` with such a character ``c`` as ``conv(A) + c + conv(B)``: its
segmentation and every step of its conversion chain take the longest key that starts at each place, and no
key can reach across ``c``; ``c`` itself matches nothing and is kept (the normalisation step likewise); a
run of unmatched characters is copied as it is wherever it is cut. The one exception, an ideographic
description sequence (an operator U+2FF0-U+2FFF or U+31EF followed by its parts, kept whole), is avoided: a
line with such an operator is never cut. So a line whose parts between separators are all stored is
converted from them, exactly as OpenCC converts it (``tests/test_conversions.py`` checks it on every reply
line of the dev sets and on random joins); a line with a part not stored is converted by OpenCC, as before.

The stored parts are those of the knowledge base's reply texts (:func:`reply_texts`), each converted for the
three readers (no region, Taiwan, Hong Kong), in the cache directory (:mod:`faq.cache`) under a key that
names OpenCC's version and dictionaries and the fixes (:func:`faq.converters.stock_digest`), not the
knowledge base: the parts a build finds (in the cache directory, else in the analysis shipped beside the
knowledge base, :mod:`faq.analysis_file`, which ``faq train`` fills with :func:`store`) are read back. A part
is keyed by its own text, so an edited line's old conversion is never read for it.

A build converts nothing (:func:`load`): a part it does not find is converted by OpenCC when a reply first
needs it, and only then, with a converter loaded anyway, are all the parts it lacked converted (the three
readers' converters loaded) and stored, when a cache directory can keep them, so that later starts find
them. Converting them while the engine was built loaded OpenCC at every such start, Traditional reader or
not: with no shipped analysis beside a knowledge base of 10k examples, ~0.6-0.9 s of CPU of its first start
(OpenCC's dictionaries' keys read with ``opencc_dict`` for the separators, the merged dictionaries built, the
converters loaded, ~2,900 parts converted three times). The first reply that loads a converter pays it
instead: 0.39-0.43 s of CPU at 10k where the merged dictionaries are built already
(:func:`faq.converters.prepare`), 0.83-1.23 s in an empty cache directory (paired runs of 2026-11-28).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import re
import weakref
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from faq import cache, converters, normalize, regexes

if TYPE_CHECKING:
    from faq.engine import Engine

KIND = "conversions"
#: Part of the key: how parts are cut, converted and stored.
FORMAT = "conversions-1"
#: The most parts kept in the cache directory (those of the knowledge base built last are always kept).
KEPT = 50_000
#: The readers a part is converted for (faq.normalize's converter keys), in the order stored.
VARIANTS = ("t", "tw", "hk")
#: Where separators are looked for (code point ranges, inclusive); a character of a dictionary key or a fix is
#: left out of them (:func:`separator_ranges`).
CANDIDATES = (
    (0x00, 0x7F),
    (0xA0, 0x2FF),
    (0x2000, 0x2BFF),
    (0x3000, 0x303F),
    (0xE000, 0xF8FF),
    (0xFF00, 0xFFEF),
    (0x1F000, 0x1FAFF),
)
#: Ideographic description operators: OpenCC keeps a sequence they start whole (see the module docstring).
_DESCRIPTION = regexes.lazy("[\u2ff0-\u2fff\u31ef]")


@dataclass(frozen=True)
class _Pending:
    """Parts of an engine's reply texts that were not stored when it was built (:func:`load`): the engine,
    held weakly (a /reload lets it go), whose texts are read again when they are converted."""

    engine: weakref.ref[Engine]


@dataclass(frozen=True)
class Stored:
    """Stored conversions: the separators' ranges and each part's conversion for :data:`VARIANTS`; with
    ``pending``, the parts that were not stored, converted and stored on :meth:`store_missing`."""

    separators: tuple[tuple[int, int], ...]
    parts: Mapping[str, tuple[str, str, str]]
    pending: _Pending | None = dataclasses.field(default=None, repr=False, compare=False)
    _cut: re.Pattern[str] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_cut", cutter(self.separators))

    def store_missing(self) -> None:
        """Convert the parts that were not stored and store them for later starts (:func:`store`), once:
        called when a reply has loaded a converter (see the module docstring for what it costs then)."""
        pending = self.pending
        if pending is None:
            return
        object.__setattr__(self, "pending", None)
        engine = pending.engine()
        if engine is None:
            return
        with contextlib.suppress(OSError, RuntimeError):  # (only a later start's memory is at stake, never a reply)
            store(engine, self)

    def line(self, line: str, key: str) -> str | None:
        """``line`` (no newline) converted for the reader ``key`` from stored parts, as
        :func:`faq.normalize.to_traditional` converts it; None when a part is not stored."""
        if _DESCRIPTION.search(line) is not None:
            return None
        index = VARIANTS.index(key)
        pieces = self._cut.split(line)  # parts at even places, separator runs (kept as they are) between
        for k in range(0, len(pieces), 2):
            if pieces[k]:
                stored = self.parts.get(pieces[k])
                if stored is None:
                    return None
                pieces[k] = stored[index]
        return "".join(pieces)

    def parts_of(self, texts: Iterable[str]) -> set[str]:
        return parts_of(texts, self._cut)


def cutter(separators: Iterable[tuple[int, int]]) -> re.Pattern[str]:
    """A pattern whose ``split`` cuts a line into parts and runs of separators (captured)."""
    ranges = "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in separators)
    return re.compile(f"([{ranges}]+)" if ranges else "(?!)")


def parts_of(texts: Iterable[str], cut: re.Pattern[str]) -> set[str]:
    """The parts of the lines of ``texts`` (a line with a description operator: the line whole)."""
    out: set[str] = set()
    for text in texts:
        for line in text.split("\n"):
            if _DESCRIPTION.search(line) is not None:
                out.add(line)
            else:
                out.update(cut.split(line)[::2])
    out.discard("")
    return out


def separator_ranges(key_characters: Iterable[str]) -> tuple[tuple[int, int], ...]:
    """:data:`CANDIDATES` without the characters of dictionary keys and of the fixes."""
    excluded = {ord(c) for c in key_characters}
    excluded.update(ord(c) for fixes in normalize._FIXES.values() for pair in fixes.items() for c in "".join(pair))
    excluded.update(range(0xD800, 0xE000))
    out: list[tuple[int, int]] = []
    for low, high in CANDIDATES:
        start: int | None = None
        for point in range(low, high + 2):
            inside = point <= high and point not in excluded
            if inside and start is None:
                start = point
            elif not inside and start is not None:
                out.append((start, point - 1))
                start = None
    return tuple(out)


def reply_texts(engine: Engine) -> Iterator[str]:
    """The texts of the knowledge base (and of the tools) that replies are made of and converted: what
    :func:`faq.normalize.to_traditional` is given is these, cut and joined with separators, day counts
    and names (most of them; any other text is converted by OpenCC, see the module docstring)."""
    kb = engine.kb
    yield from _strings(kb.texts)
    for intent in kb.intents:
        yield from (intent.title, intent.answer, intent.summary, intent.details, intent.ask)
    for stages in kb.stages.values():
        for stage in stages:
            yield from (stage.title, stage.expect, stage.rights, stage.todo)
    for platform in kb.platforms:
        yield from platform.names
    for lender in kb.lenders:
        yield from lender.names
    for group in kb.out_of_scope:
        if group.answer:
            yield group.answer
    for help in kb.crisis.help.values():
        yield from _strings(help)
    yield from _strings(engine.rates)
    yield from _strings(engine.complaints)
    yield from engine.composed_texts()


def _strings(node: Any) -> Iterator[str]:
    """Every string in a dataclass of texts (its fields, and tuples, lists and mappings of them)."""
    if isinstance(node, str):
        yield node
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for field in dataclasses.fields(node):
            yield from _strings(getattr(node, field.name))
    elif isinstance(node, (tuple, list)):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from _strings(value)


def load(engine: Engine) -> Stored | None:
    """The stored conversions of ``engine``'s reply texts, read from the cache directory and the shipped
    analysis (within :func:`faq.analysis_file.reading`); nothing is converted here. When parts are not
    stored and a cache directory can keep them, the conversions carry a note of it (:meth:`Stored.store_missing`):
    once a reply has loaded a converter, the parts they lack are converted and stored then, for later starts.
    None when there are none and none can be stored (OpenCC converts every reply, as before), or when a
    converter is loaded already (they would save nothing)."""
    key = _key()
    if key is None or normalize.converter_loaded():
        return None
    texts = list(reply_texts(engine))
    separators, known, exact = _read_stored(key, _digest(texts))
    if exact:
        return Stored(separators or (), known)
    pending = _Pending(weakref.ref(engine)) if cache.directory() is not None else None
    if separators is None:
        return None if pending is None else Stored((), {}, pending)
    needed = parts_of(texts, cutter(separators))
    kept = {part: known[part] for part in needed if part in known}
    return Stored(separators, kept, pending if len(kept) < len(needed) else None)


def store(engine: Engine, stored: Stored | None = None) -> Stored | None:
    """Convert the parts of ``engine``'s reply texts that neither the cache directory nor the shipped
    analysis (nor ``stored``, conversions read before) holds, now, and store them all in the cache directory
    (``faq train`` packs them from there, :mod:`faq.analysis_file`). The conversions; None when they cannot
    be stored (no cache directory, OpenCC's files unreadable)."""
    key = _key()
    if key is None or cache.directory() is None:
        return None
    texts = list(reply_texts(engine))
    digest = _digest(texts)
    separators, known, exact = _read_stored(key, digest)
    if exact:
        return Stored(separators or (), known)
    if stored is not None and stored.parts and separators in (None, stored.separators):
        separators = stored.separators
        known = {**stored.parts, **known}
    if separators is None:
        characters = converters.key_characters()
        if characters is None:
            return None
        separators = separator_ranges(characters)
    needed = parts_of(texts, cutter(separators))
    for part in sorted(needed.difference(known)):
        known[part] = _converted(part)
    kept = {part: known[part] for part in sorted(needed)}
    # (the parts of other knowledge bases too, up to a bound: tests and tools build engines of several)
    stored_now = {**kept, **known} if len(known) <= KEPT else kept
    cache.save_marshal(KIND, key, _stored_value(separators, dict(sorted(stored_now.items())), digest))
    return Stored(separators, kept)


def _digest(texts: list[str]) -> str:
    return hashlib.sha256("\0".join(texts).encode("utf-8", "surrogatepass")).hexdigest()


def _read_stored(
    key: str, digest: str
) -> tuple[tuple[tuple[int, int], ...] | None, dict[str, tuple[str, str, str]], bool]:
    """What is stored under ``key`` (the cache directory's first, then the shipped one's): the separators
    (None: nothing stored), the parts' conversions, and whether an entry was stored for these very texts
    (``digest``; then the parts are that entry's)."""
    separators: tuple[tuple[int, int], ...] | None = None
    known: dict[str, tuple[str, str, str]] = {}
    for value in cache.load_marshal_all(KIND, key):
        found = _read(value)
        if found is None:
            continue
        if found[2] == digest:  # stored for these very texts
            return found[0], found[1], True
        if separators is None or found[0] == separators:
            separators = found[0]
            for part, converted in found[1].items():
                known.setdefault(part, converted)
    return separators, known, False


def _key() -> str | None:
    """What stored conversions are keyed by: OpenCC's converters (:func:`faq.converters.stock_digest`), the
    fixes after them and how parts are cut; None when OpenCC's files cannot be read."""
    stock = converters.stock_digest()
    if stock is None:
        return None
    described = f"{FORMAT}\n{stock}\n{sorted(normalize._FIXES.items())}\n{CANDIDATES}\n{_DESCRIPTION.pattern}"
    return hashlib.sha256(described.encode()).hexdigest()


def _converted(part: str) -> tuple[str, str, str]:
    """``part`` converted by OpenCC for each reader."""
    t, tw, hk = (normalize.convert_line(part, variant) for variant in VARIANTS)
    return t, tw, hk


def _stored_value(
    separators: tuple[tuple[int, int], ...], parts: dict[str, tuple[str, str, str]], digest: str
) -> dict[str, Any]:
    """What is stored: the parts and each reader's conversions, each as one text joined by NUL (a separator:
    no part holds one), so that reading them back is quick."""
    columns = list(zip(*parts.values(), strict=True)) if parts else [(), (), ()]
    return {
        "format": FORMAT,
        "texts": digest,
        "separators": [n for pair in separators for n in pair],
        "parts": "\0".join(parts),
        **{variant: "\0".join(column) for variant, column in zip(VARIANTS, columns, strict=True)},
    }


def _read(value: Any) -> tuple[tuple[tuple[int, int], ...], dict[str, tuple[str, str, str]], str] | None:
    """What :func:`_stored_value` made: the separators, the parts' conversions and the texts' digest; None
    when it is not that."""
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        return None
    numbers, digest = value.get("separators"), value.get("texts")
    columns = [value.get(name) for name in ("parts", *VARIANTS)]
    if not isinstance(numbers, list) or len(numbers) % 2 or not all(type(n) is int for n in numbers):
        return None
    if not isinstance(digest, str) or not all(isinstance(column, str) for column in columns):
        return None
    parts, t, tw, hk = (column.split("\0") if column else [] for column in columns)
    if not len(parts) == len(t) == len(tw) == len(hk):
        return None
    separators = tuple(zip(numbers[::2], numbers[1::2], strict=True))
    table: dict[str, tuple[str, str, str]] = {}
    for part, a, b, c in zip(parts, t, tw, hk, strict=True):  # a text equal to another: the same object
        a = part if a == part else a
        b = a if b == a else b
        table[part] = (a, b, b if c == b else a if c == a else c)
    return separators, table, digest
