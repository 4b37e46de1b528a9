"""Screens: which of many regexes (or cue texts) can match a text, by characters every match holds one of,
so that a detector runs only those (the crisis layer's ~360 patterns, :mod:`faq.crisis`).

The characters are read from each pattern's parse by the standard library's regex parser (``re._parser``):
:func:`required_sets`, once per pattern and process. Reading those of the ~360 crisis patterns takes
0.06-0.08 s of CPU of a start, so :func:`prepare` keeps them in the cache (:mod:`faq.cache`, kind
``crisis-screens``) under a key that is a digest of what they are computed from and of nothing else: the
pattern texts and flags themselves, this module's code and the parser's (:func:`code_version`). They do not
depend on the knowledge base's other parts nor on the code that chose the patterns, so the analysis shipped
beside the knowledge base (:mod:`faq.analysis_file`) holds them too: a changed pattern has another key (and
each stored entry is also checked against the patterns asked for), and is never served another pattern's
screen.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from faq import cache

try:  # the regex parser of the standard library (private): used only to read a pattern's first characters
    _SRE_PARSE: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - another Python: every pattern is simply always run
    _SRE_PARSE = None
#: Class ranges up to this size are expanded into the characters they hold (larger ones: "any character").
_MAX_RANGE = 64


def _first_of(items: Any) -> tuple[set[str], bool] | None:
    """The characters a sequence of parsed regex items can start with, and whether it can match empty
    text; None when unknown (any character, a large class, a category, a backreference, a flag)."""
    first: set[str] = set()
    for op, av in items:
        name = getattr(op, "name", "")
        if name == "LITERAL":
            return first | {chr(av)}, False
        if name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue  # zero-width: the next item starts the match
        if name == "IN":
            chars: set[str] = set()
            for item_op, item_av in av:
                item_name = getattr(item_op, "name", "")
                if item_name == "LITERAL":
                    chars.add(chr(item_av))
                elif item_name == "RANGE" and item_av[1] - item_av[0] <= _MAX_RANGE:
                    chars.update(map(chr, range(item_av[0], item_av[1] + 1)))
                else:
                    return None  # NEGATE, CATEGORY, a large range
            return first | chars, False
        if name == "BRANCH":
            branches = [_first_of(branch.data) for branch in av[1]]
            if any(b is None for b in branches):
                return None
            known = [b for b in branches if b is not None]
            here, empty = set().union(*(b[0] for b in known)), any(b[1] for b in known)
        elif name == "SUBPATTERN":
            if av[1] or av[2]:
                return None  # inline flags (?i:...)
            inner = _first_of(av[3].data)
            if inner is None:
                return None
            here, empty = inner
        elif name == "ATOMIC_GROUP":
            inner = _first_of(av.data)
            if inner is None:
                return None
            here, empty = inner
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            inner = _first_of(av[2].data if hasattr(av[2], "data") else av[2])
            if inner is None:
                return None
            here, empty = inner[0], inner[1] or av[0] == 0
        else:
            return None  # ANY, NOT_LITERAL, GROUPREF, ...
        first |= here
        if not empty:
            return first, False
    return first, True


class Source(NamedTuple):
    """A regex's text and flags, read by :func:`required_sets` without compiling it (the flags a compiled
    ``str`` pattern has by default)."""

    pattern: str
    flags: int = int(re.UNICODE)


def _parsed(pattern: re.Pattern[str] | Source) -> Any | None:
    """The parsed items of ``pattern`` (None when they cannot be read safely: no parser, a flag that
    changes which characters match, a parse error)."""
    if _SRE_PARSE is None or pattern.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    try:
        return _SRE_PARSE.parse(pattern.pattern, pattern.flags).data
    except Exception:  # an unreadable pattern is simply always run
        return None


def _first_known(items: Any) -> frozenset[str] | None:
    """The characters every match of parsed ``items`` starts with one of, when that is a small known set."""
    try:
        found = _first_of(items)
    except Exception:  # an unreadable pattern is simply always run
        return None
    if found is None or found[1] or not found[0]:
        return None
    return frozenset(found[0])


def first_chars(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """The characters every match of ``pattern`` starts with one of, or None when that is not a small known
    set (the pattern can match empty text, starts with any character, a category, a flag ...). A text
    without any of them cannot match: the screen that lets the detector skip most patterns."""
    items = _parsed(pattern)
    return None if items is None else _first_known(items)


#: Characters common in borrowers' messages: a screen keys a rule by another of its characters when it can.
COMMON_CHARS = frozenset("我的了不是要会还有人吗怎么你他她在就能去都说也被到想一个逾期款钱借贷天月家打电话催收没")
_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


def _required_of(items: Any) -> list[frozenset[str]]:
    """Sets of characters of which every match of a sequence of parsed regex items holds at least one (one
    set per item that cannot match empty text and whose first characters are known)."""
    out: list[frozenset[str]] = []
    for op, av in items:
        name = getattr(op, "name", "")
        if name == "LITERAL":
            out.append(frozenset(chr(av)))
        elif name in ("IN", "BRANCH"):
            found = _first_of([(op, av)])
            if found is not None and not found[1] and found[0]:
                out.append(frozenset(found[0]))
            if name == "BRANCH":  # one set of each branch, the most selective: a match holds one of them
                best = [_most_selective(_required_of(branch.data)) for branch in av[1]]
                if best and all(b is not None for b in best):
                    out.append(frozenset().union(*(b for b in best if b is not None)))
        elif name == "SUBPATTERN" and not (av[1] or av[2]):
            out += _required_of(av[3].data)
        elif name == "ATOMIC_GROUP":
            out += _required_of(av.data)
        elif name in _REPEATS and av[0] >= 1:
            out += _required_of(av[2].data if hasattr(av[2], "data") else av[2])
        # anything else (assertions, optional parts, any character): nothing required from it
    return out


def _selectivity(chars: frozenset[str]) -> tuple[int, int, list[str]]:
    return len(chars & COMMON_CHARS), len(chars), sorted(chars)


def _most_selective(sets: list[frozenset[str]]) -> frozenset[str] | None:
    return min(sets, key=_selectivity) if sets else None


#: :func:`required_sets` of every pattern read in this process, by (pattern, flags): it depends on nothing
#: else but this module's code and Python's regex parser (see :func:`code_version`).
_REQUIRED: dict[tuple[str, int], tuple[frozenset[str], ...]] = {}


def required_sets(pattern: re.Pattern[str] | Source) -> tuple[frozenset[str], ...]:
    """Sets of characters of which every match of ``pattern`` holds at least one character each, the most
    selective first (fewest common characters); empty when none is known. A text that misses one of
    them cannot match. Read once per pattern and process (:func:`prepare` reads those of many patterns
    from the cache instead)."""
    key = (pattern.pattern, pattern.flags)
    found = _REQUIRED.get(key)
    if found is None:
        found = _REQUIRED[key] = _read_required_sets(pattern)
    return found


def _read_required_sets(pattern: re.Pattern[str] | Source) -> tuple[frozenset[str], ...]:
    items = _parsed(pattern)
    if items is None:
        return ()
    try:
        sets = _required_of(items)
    except Exception:  # an unreadable pattern is simply always run
        return ()
    first = _first_known(items)  # the same parse: a pattern is read once
    if first is not None:
        sets.append(first)
    return tuple(sorted(set(sets), key=_selectivity))


def _key_char(text: str) -> str | None:
    """The character a cue text is screened by: its first that is not common (its first if all are)."""
    return next((ch for ch in text if ch not in COMMON_CHARS), text[:1] or None)


@dataclass(frozen=True)
class Screen:
    """Which items of a list (cue texts or regexes) can occur in a text, by characters every occurrence
    holds one of (the first of :func:`required_sets`; a cue text's least common character): the items are then tried
    in their order, only those that can occur (the same first hit as trying them all)."""

    by_char: Mapping[str, tuple[int, ...]]
    #: items whose characters are unknown: always tried
    always: tuple[int, ...]
    #: per item (when known), further sets of characters of which a text must hold one each
    also_needs: Mapping[int, tuple[frozenset[str], ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, firsts: Sequence[Iterable[str] | None]) -> Screen:
        by_char: dict[str, list[int]] = {}
        always: list[int] = []
        for i, chars in enumerate(firsts):
            if chars is None:
                always.append(i)
            else:
                for ch in set(chars):
                    by_char.setdefault(ch, []).append(i)
        return cls({ch: tuple(ids) for ch, ids in by_char.items()}, tuple(always))

    @classmethod
    def of_texts(cls, texts: Sequence[str]) -> Screen:
        return cls.of([_key_char(t) for t in texts])

    @classmethod
    def of_patterns(cls, patterns: Sequence[re.Pattern[str] | Source]) -> Screen:
        sets = [required_sets(p) for p in patterns]
        screen = cls.of([s[0] if s else None for s in sets])
        return replace(screen, also_needs={i: s[1:] for i, s in enumerate(sets) if len(s) > 1})

    def candidates(self, chars: set[str] | frozenset[str]) -> Sequence[int]:
        """The indices (in order) of the items that can occur in a text made of ``chars``. (Six screens are
        asked per message, most with one character or none that could start an item: those are answered
        without building a set.)"""
        by_char = self.by_char
        hits = chars & by_char.keys()
        always = self.always
        found: Sequence[int]
        if not hits:
            found = always
        elif len(hits) == 1 and not always:
            found = by_char[next(iter(hits))]  # (each character's items are in their order)
        else:
            found = sorted({*always, *(i for ch in hits for i in by_char[ch])})
        needs = self.also_needs
        if not needs or not found:
            return found
        return [i for i in found if i not in needs or not any(s.isdisjoint(chars) for s in needs[i])]



# ------------------------------------------------------------------------------------------- on disk

#: The cache entries of :func:`prepare` (a kind :mod:`faq.analysis_file` ships).
KIND = "crisis-screens"


@functools.cache
def code_version() -> str | None:
    """A digest of the code :func:`required_sets` runs: this module, the regex parser of the standard
    library and its constants (their bytes: the same parser in another installation of Python gives the
    same screens) and the Python implementation; None when a source cannot be read (no disk cache then).
    Read once per process."""
    digest = hashlib.sha256(b"pattern screens 1\n" + sys.implementation.name.encode() + b"\0")
    sources = [Path(__file__)]
    if _SRE_PARSE is not None:
        sources += [Path(_SRE_PARSE.__file__), Path(_SRE_PARSE.__file__).with_name("_constants.py")]
    try:
        for source in sources:
            digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    except (OSError, TypeError):  # no source beside a module (a frozen application): no disk cache
        return None
    return digest.hexdigest()


def key_of(patterns: Sequence[re.Pattern[str] | Source]) -> str | None:
    """The cache key of the screens of ``patterns``: a digest of :func:`code_version` and of each
    pattern's text and flags, in order (None: no disk cache)."""
    version = code_version()
    if version is None:
        return None
    digest = hashlib.sha256(version.encode() + b"\0" + str(len(patterns)).encode())
    for pattern in patterns:
        digest.update(b"\0%d\x01" % pattern.flags + pattern.pattern.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _stored(patterns: Sequence[re.Pattern[str] | Source]) -> list[list[Any]]:
    """What :func:`prepare` stores: per pattern its text, flags and :func:`required_sets` (each set as its
    characters in order, so that the same screens are the same bytes)."""
    return [[p.pattern, p.flags, ["".join(sorted(s)) for s in required_sets(p)]] for p in patterns]


def _read(stored: Any, patterns: Sequence[re.Pattern[str] | Source]) -> list[tuple[frozenset[str], ...]] | None:
    """The screens of ``patterns`` in a stored value, or None when it is not exactly theirs (another
    pattern, other flags, another count or shape: read again)."""
    if not (isinstance(stored, list) and len(stored) == len(patterns)):
        return None
    found: list[tuple[frozenset[str], ...]] = []
    for entry, pattern in zip(stored, patterns, strict=True):
        if not (isinstance(entry, list) and len(entry) == 3):
            return None
        text, flags, sets = entry
        if text != pattern.pattern or flags != pattern.flags or not isinstance(sets, list):
            return None
        if not all(isinstance(s, str) for s in sets):
            return None
        found.append(tuple(frozenset(s) for s in sets))
    return found


def prepare(patterns: Sequence[re.Pattern[str] | Source]) -> None:
    """Make :func:`required_sets` of every one of ``patterns`` known in this process (those :class:`Screen`
    will ask for): read from the cache (the cache directory, or the analysis shipped beside the knowledge
    base while it is read, :func:`faq.cache.shipped`) under :func:`key_of` them, else computed and stored
    there."""
    key = key_of(patterns)
    if key is None:
        return
    found = _read(cache.load_marshal(KIND, key), patterns)
    if found is None:
        cache.save_marshal(KIND, key, _stored(patterns))
        return
    for pattern, sets in zip(patterns, found, strict=True):
        _REQUIRED.setdefault((pattern.pattern, pattern.flags), sets)
