"""The knowledge base: `intents.yaml` loaded into frozen dataclasses, validated with file and line numbers.

`load_knowledge_base(path)` returns a :class:`KnowledgeBase` or raises :class:`KnowledgeBaseError` listing
every problem as ``file:line: [intent id] message``. The schema is documented in ``docs/knowledge-base.md``.
"""

from __future__ import annotations

import re
import weakref
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from faq import regexes
from faq.crisis import (
    CUE_KINDS,
    CrisisRules,
    HelpLine,
    OldAgeInheritance,
    Region,
    RegionHelp,
    SafetyNet,
    normalize_cues,
)
from faq.crisis_model import CrisisModel
from faq.normalize import normalize, normalize_example
from faq.yamlfile import SAFE_LOADER

TELEGRAM_MESSAGE_LIMIT = 4096
MIN_EXAMPLES_WARNING = 8
GENERAL = "general"

TEXT_KEYS = (
    "welcome",
    "help",
    "fallback",
    "did_you_mean",
    "none_of_these",
    "none_of_these_reply",
    "disclaimer",
    "non_text",
    "empty",
    "rate_limited",
    "error",
    "feedback_thanks",
    "stage_heading",
    "stage_not_overdue",
    "stage_expect",
    "stage_rights",
    "stage_todo",
    "stage_general_note",
    "stage_general_name",
    "topics_heading",
    "related_heading",
    "stage_usage",
    "admin_only",
    "stale_button",
)
#: Conversation texts (optional, so that older knowledge bases still load): the "详细说明" button, the recap of a
#: repeated topic, the calming opening for frightened messages, the helpful fallback, the mainland-only note
#: for readers of Traditional Chinese.
OPTIONAL_TEXT_KEYS = (
    "details_button",
    "more_hint",
    "no_more_details",
    "recap_heading",
    "recap_more",
    "reassure",
    "ask_situation",
    "did_you_mean_quote",
    "mainland_note",
    "other_bureau_note",
)
#: List-valued conversation texts: words that show fear, and the fallback's situation buttons.
LIST_TEXT_KEYS = ("fear_words", "situations")
TOP_KEYS = {
    "version",
    "texts",
    "crisis",
    "platforms",
    "lenders",
    "stages",
    "synonyms",
    "out_of_scope",
    "intents",
}
INTENT_KEYS = {
    "id",
    "title",
    "summary",
    "ask",
    "questions",
    "answer",
    "details",
    "keywords",
    "related",
    "sources",
}
#: The direct answer shown first (bold on Telegram) must fit on a phone's line or two.
MAX_SUMMARY_CHARS = 80
STAGE_KEYS = {"min_days", "max_days", "title", "expect", "rights", "todo"}
PLATFORM_KEYS = {"id", "names"}
OUT_OF_SCOPE_KEYS = {"id", "answer", "questions"}
CRISIS_KEYS = {
    *CUE_KINDS,
    "patterns",
    "not_crisis",
    "not_crisis_patterns",
    "distress",
    "distress_patterns",
    "bereaved_patterns",
    "old_age_inheritance",
    "regions",
    "offer_intent",
    "offer_never",
    "offer_withheld",
    "distress_intent",
    "help",
    "model",
    "model_needs",
    "model_alone_at",
    "model_question_at",
    "model_question_unless",
    "safety_net",
}
SAFETY_NET_KEYS = {
    "death",
    "hyperbole_before",
    "particles",
    "not_after",
    "intent_before",
    "ending",
    "farewell",
    "others",
    "general_questions",
}
#: The safety net's keys that are regexes (compiled when the knowledge base is loaded).
SAFETY_NET_REGEX_KEYS = ("ending", "farewell", "others", "general_questions")
CRISIS_REGION_WORD_KEYS = {"hong_kong", "taiwan", "mainland", "cantonese"}
HELP_KEYS = {
    "lines", "answer", "offer", "offer_button", "offer_topic_button", "footer", "distress", "elsewhere",
    "someone_else", "bereaved",
}
#: Optional help texts (the crisis reply, the distress sentence, or ``offer_button`` is used without them).
OPTIONAL_HELP_KEYS = {"someone_else", "bereaved", "offer_topic_button"}
HELP_LINE_KEYS = {"number", "name", "hours", "source"}
_ID = regexes.lazy(r"^[a-z][a-z0-9_]*$")


# --------------------------------------------------------------------------------------------- data


class Lines(Sequence[int]):
    """Line numbers, immutable and compact: 4 bytes each in one array instead of a tuple of Python ints
    (40 bytes each: a file's line numbers are past the small ints Python shares), ~1.8 MB less per
    knowledge base at 50k examples, which a /reload holds twice. Equal to (and hashed like) the tuple of
    the same numbers."""

    __slots__ = ("_values",)

    def __init__(self, values: Iterable[int] = ()) -> None:
        self._values = array("I", values)

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return Lines(self._values[index])
        return self._values[index]

    def __iter__(self) -> Iterator[int]:
        return iter(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Lines):
            return self._values == other._values
        if isinstance(other, tuple):
            return tuple(self._values) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self._values))

    def __repr__(self) -> str:
        return f"Lines({list(self._values)!r})"


@dataclass(frozen=True, slots=True)
class Intent:
    id: str
    title: str
    questions: tuple[str, ...]
    answer: str
    keywords: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    #: One direct sentence that answers the question (shown first, <= MAX_SUMMARY_CHARS characters).
    summary: str = ""
    #: The longer explanation and legal bases, sent behind a "详细说明" button; empty when there is none.
    details: str = ""
    #: The intent written as the user's next question, for follow-up buttons ("不接电话会怎样?").
    ask: str = ""
    line: int = 0
    question_lines: Lines = field(default_factory=Lines)  # the line of each example question, for messages


@dataclass(frozen=True, slots=True)
class Stage:
    platform: str
    min_days: int
    max_days: int | None
    title: str
    expect: str
    rights: str
    todo: str

    def contains(self, days: int) -> bool:
        return days >= self.min_days and (self.max_days is None or days <= self.max_days)


@dataclass(frozen=True, slots=True)
class Platform:
    id: str
    names: tuple[str, ...]

    @property
    def display_name(self) -> str:
        return self.names[0]


@dataclass(frozen=True, slots=True)
class Lender:
    """A lender people name (借呗, 美团, 信用卡 ...): recognised so that its name never decides or blocks
    an answer, and reported in ``ask --json``. Names only; the bot never recommends one. Its stage table
    is the platform's of the same id when there is one, else ``general``."""

    id: str
    names: tuple[str, ...]

    @property
    def display_name(self) -> str:
        return self.names[0]


@dataclass(frozen=True, slots=True)
class OutOfScopeGroup:
    id: str
    questions: tuple[str, ...]
    answer: str | None = None


#: The ``crisis:`` section (defined beside its detector in faq/crisis.py).
Crisis = CrisisRules


@dataclass(frozen=True, slots=True)
class Texts:
    welcome: str
    help: str
    fallback: str
    did_you_mean: str
    none_of_these: str
    none_of_these_reply: str
    disclaimer: str
    non_text: str
    empty: str
    rate_limited: str
    error: str
    feedback_thanks: str
    stage_heading: str
    stage_not_overdue: str
    stage_expect: str
    stage_rights: str
    stage_todo: str
    stage_general_note: str
    stage_general_name: str
    topics_heading: str
    related_heading: str
    stage_usage: str
    admin_only: str
    stale_button: str
    details_button: str = ""
    more_hint: str = ""
    no_more_details: str = ""
    recap_heading: str = ""
    recap_more: str = ""
    reassure: str = ""
    ask_situation: str = ""
    did_you_mean_quote: str = ""
    mainland_note: str = ""
    #: Shown first when a message names a credit bureau outside mainland China (Taiwan's 聯徵, Hong Kong's TU).
    other_bureau_note: str = ""
    fear_words: tuple[str, ...] = ()
    #: (button label, intent id) pairs offered by the fallback ("你现在最担心的是?").
    situations: tuple[tuple[str, str], ...] = ()


#: Up to this many examples, those the check for duplicates normalised are handed to the matcher (each
#: example normalised once at a start: ~0.05 s of CPU at the shipped size, ~0.07 s at 10k). Beyond, the matcher
#: normalises them again, as before: at 50k examples they (and their dict) would be held from the check until
#: the matcher is built, beside a serving engine during a /reload after an edit, whose peak is at the target's
#: edge there (one bench run each on 2026-11-27: 200 MB without the hand-over, 201 MB with it).
HAND_OVER_NORMALIZED_UP_TO = 20_000


@dataclass(frozen=True)
class KnowledgeBase:
    path: Path
    texts: Texts
    crisis: Crisis
    platforms: tuple[Platform, ...]
    stages: Mapping[str, tuple[Stage, ...]]
    synonyms: Mapping[str, str]
    out_of_scope: tuple[OutOfScopeGroup, ...]
    intents: tuple[Intent, ...]
    lenders: tuple[Lender, ...] = ()
    _by_id: dict[str, Intent] = field(default_factory=dict, repr=False, compare=False)
    #: Example question -> :func:`~faq.normalize.normalize_example` of it, as the check for duplicates computed
    #: it, until the matcher takes them (:meth:`take_normalized_examples`): each example normalised once.
    _normalized: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update({intent.id: intent for intent in self.intents})

    def intent(self, intent_id: str) -> Intent | None:
        return self._by_id.get(intent_id)

    def take_normalized_examples(self) -> dict[str, str]:
        """The example questions normalised while the file was checked (by text; those written with spaces
        around them are not among them), handed over once: empty afterwards (not kept beside the engine)."""
        taken = self._normalized.copy()
        self._normalized.clear()
        return taken

    def platform(self, platform_id: str | None) -> Platform | None:
        return next((p for p in self.platforms if p.id == platform_id), None)

    def stage_for(self, days: int, platform_id: str | None = None) -> Stage:
        """The stage of ``days`` overdue on a platform (its own table, else ``general``); days <= 0 is the
        first stage."""
        table = self.stages.get(platform_id or GENERAL) or self.stages[GENERAL]
        clamped = max(days, table[0].min_days)
        return next(stage for stage in table if stage.contains(clamped))

    @property
    def example_count(self) -> int:
        return sum(len(intent.questions) for intent in self.intents)


# --------------------------------------------------------------------------------------------- errors


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    intent_id: str | None
    message: str
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        who = f" [{self.intent_id}]" if self.intent_id else ""
        label = "" if self.severity == "error" else "warning: "
        return f"{where}:{who} {label}{self.message}"


class KnowledgeBaseError(Exception):
    """A knowledge base that cannot be used; ``problems`` holds every error found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# --------------------------------------------------------------------------------- YAML with line numbers


class _LineDict(dict[Any, Any]):
    line: int = 0
    key_lines: dict[Any, int]


class _LineList(list[Any]):
    line: int = 0
    item_lines: list[int]


class _LineLoader(SAFE_LOADER):
    """A safe loader whose mappings and sequences remember their line numbers (1-based) and which refuses
    duplicate keys (plain PyYAML keeps the last one silently)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    result = _LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _LineList:
    result = _LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class _Unusual(Exception):
    """The document uses what :func:`_read_yaml` leaves to PyYAML's composer (anchors, aliases, merge keys,
    explicit tags, more than one document)."""


_STR_TAG = "tag:yaml.org,2002:str"


def _event_line(event: Any) -> int:
    """The line (1-based) an event starts on."""
    return int(event.start_mark.line) + 1


def _read_yaml(raw: str, known: Mapping[str, str] | None = None) -> Any:
    """``yaml.load(raw, Loader=_LineLoader)``: the same objects, lines and errors, built from the parser's
    events one by one instead of from the whole node tree. At 50k examples PyYAML's tree (a node and two
    marks per scalar) held ~35 MB at once for ~10 MB of strings kept, during /reload beside the engine
    that serves. A document that uses anchors, aliases, merge keys, explicit tags or several documents is
    read by the composer as before. ``known``: strings already held (see _questions_of); a string scalar
    equal to one is that one, and its fresh copy is let go at once."""
    loader = _LineLoader(raw)
    try:
        try:
            return _EventReader(loader, known or {}).document()
        except _Unusual:
            pass
    finally:
        loader.dispose()
    return yaml.load(raw, Loader=_LineLoader)


class _EventReader:
    """Builds what :class:`_LineLoader` constructs, from the parser's events (see :func:`_read_yaml`)."""

    def __init__(self, loader: Any, known: Mapping[str, str]) -> None:
        self.loader = loader
        self.known = known
        #: The first error constructing an object (a duplicate key, a bad scalar), raised once the whole
        #: document has been parsed: PyYAML composes the whole tree before it constructs anything, so a
        #: syntax error further on is the one it reports.
        self.error: Exception | None = None

    def document(self) -> Any:
        loader = self.loader
        loader.get_event()  # StreamStartEvent
        if loader.check_event(yaml.StreamEndEvent):
            return None  # an empty stream: no document
        loader.get_event()  # DocumentStartEvent
        doc = self.node()
        loader.get_event()  # DocumentEndEvent
        if not loader.check_event(yaml.StreamEndEvent):
            raise _Unusual  # another document: the composer's error
        if self.error is not None:
            raise self.error
        return doc

    def node(self) -> Any:
        """The object of the node whose events come next."""
        loader = self.loader
        event: Any = loader.get_event()
        if isinstance(event, yaml.AliasEvent) or event.anchor is not None:
            raise _Unusual
        if isinstance(event, yaml.ScalarEvent):
            return self.scalar(event)
        if isinstance(event, yaml.SequenceStartEvent):
            if event.tag not in (None, "!"):
                raise _Unusual
            items = _LineList()
            items.line = _event_line(event)
            items.item_lines = []
            while not loader.check_event(yaml.SequenceEndEvent):
                items.item_lines.append(_event_line(loader.peek_event()))
                items.append(self.node())
            loader.get_event()
            return items
        if isinstance(event, yaml.MappingStartEvent):
            if event.tag not in (None, "!"):
                raise _Unusual
            mapping = _LineDict()
            mapping.line = _event_line(event)
            mapping.key_lines = {}
            while not loader.check_event(yaml.MappingEndEvent):
                key_event: Any = loader.peek_event()
                key_mark: Any = key_event.start_mark
                if not isinstance(key_event, yaml.ScalarEvent) or key_event.value == "<<":
                    raise _Unusual  # (a collection as a key; a merge key)
                key = self.node()
                if key in mapping and self.error is None:
                    self.error = yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_mark
                    )
                mapping[key] = self.node()
                mapping.key_lines[key] = int(key_mark.line) + 1
            loader.get_event()
            return mapping
        raise _Unusual

    def scalar(self, event: Any) -> Any:
        if event.tag not in (None, "!"):
            raise _Unusual
        tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag == _STR_TAG:
            return self.known.get(event.value, event.value)
        construct = self.loader.yaml_constructors.get(tag)
        if construct is None or tag.endswith((":merge", ":value")):
            raise _Unusual
        try:
            return construct(self.loader, yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style))
        except Exception as exc:  # raised once the document is parsed, as PyYAML would
            if self.error is None:
                self.error = exc
            return None


def _line(node: Any, key: Any = None) -> int:
    if key is not None and isinstance(node, _LineDict):
        return node.key_lines.get(key, node.line)
    return getattr(node, "line", 0)


# --------------------------------------------------------------------------------------------- loading


class _Collector:
    """Collects problems while the document is read, so that one pass reports all of them."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        #: example questions already held (see _questions_of): a question read equal to one is that one
        self.known: dict[str, str] = {}

    def error(self, line: int, message: str, intent_id: str | None = None) -> None:
        self.problems.append(Problem(self.file, line, intent_id, message))

    def warning(self, line: int, message: str, intent_id: str | None = None) -> None:
        self.problems.append(Problem(self.file, line, intent_id, message, "warning"))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def unknown_keys(
        self, node: dict[Any, Any], allowed: set[str], what: str, intent_id: str | None = None
    ) -> None:
        for key in node:
            if key not in allowed:
                self.error(_line(node, key), f"unknown key {key!r} in {what}", intent_id)

    def text(
        self, node: Any, key: str, what: str, intent_id: str | None = None, required: bool = True
    ) -> str:
        value = node.get(key) if isinstance(node, dict) else None
        if value is None:
            if required:
                self.error(_line(node), f"{what}: missing {key!r}", intent_id)
            return ""
        if not isinstance(value, str) or not value.strip():
            self.error(_line(node, key), f"{what}: {key!r} must be non-empty text", intent_id)
            return ""
        return value.strip()

    def strings(self, node: Any, key: str, what: str, intent_id: str | None = None) -> tuple[str, ...]:
        value = node.get(key) if isinstance(node, dict) else None
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
            self.error(_line(node, key), f"{what}: {key!r} must be a list of texts", intent_id)
            return ()
        known = self.known
        return tuple(known.get(text, text) for text in (str(v).strip() for v in value) if text)


def _no_knowledge_base() -> KnowledgeBase | None:
    return None


#: The knowledge base read last, while it is alive (an engine serving it, as during a /reload).
_last_loaded: list[Callable[[], KnowledgeBase | None]] = [_no_knowledge_base]


def _questions_of(kb: KnowledgeBase | None) -> dict[str, str]:
    """Every example question of ``kb`` (the one read before, still alive) by itself: the same questions
    read again are these string objects, not copies (a /reload of 50,000 examples builds its engine
    beside the serving one: ~5 MB less at its peak)."""
    if kb is None:
        return {}
    known = {q: q for intent in kb.intents for q in intent.questions}
    known.update((q, q) for group in kb.out_of_scope for q in group.questions)
    return known


def load_knowledge_base(path: str | Path) -> KnowledgeBase:
    """Read, parse and validate ``path``; raise :class:`KnowledgeBaseError` listing every error."""
    kb, problems = check_knowledge_base(path)
    errors = [p for p in problems if p.severity == "error"]
    if errors or kb is None:
        raise KnowledgeBaseError(errors or [Problem(str(path), 0, None, "cannot be loaded")])
    return kb


def check_knowledge_base(path: str | Path) -> tuple[KnowledgeBase | None, list[Problem]]:
    """Like :func:`load_knowledge_base` but returns the problems (errors and warnings) instead of raising;
    the knowledge base is None when there are errors."""
    path = Path(path)
    out = _Collector(str(path))
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        out.error(0, f"cannot read the file: {exc}")
        return None, out.problems
    known = _questions_of(_last_loaded[0]())
    try:
        doc = _read_yaml(raw, known)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc)
        out.error(line, f"YAML syntax error: {problem}")
        return None, out.problems
    if not isinstance(doc, _LineDict):
        out.error(1, "the file must be a mapping with the keys " + ", ".join(sorted(TOP_KEYS)))
        return None, out.problems

    out.unknown_keys(doc, TOP_KEYS, "the top level")
    texts = _read_texts(doc, out)
    crisis = _read_crisis(doc, out)
    platforms = _read_platforms(doc, out)
    lenders = _read_lenders(doc, out)
    stages = _read_stages(doc, out, {p.id for p in platforms})
    synonyms = _read_synonyms(doc, out)
    out.known = known
    del known
    out_of_scope = _read_out_of_scope(doc, out)
    intents = _read_intents(doc, out)
    out.known = {}
    normalized = _check_cross_references(intents, out_of_scope, doc, out)
    if crisis is not None:
        _check_crisis_intents(crisis, {intent.id for intent in intents}, doc, out)

    if out.errors or texts is None or crisis is None:
        return None, out.problems
    kb = KnowledgeBase(
        path=path,
        texts=texts,
        crisis=crisis,
        platforms=platforms,
        lenders=lenders,
        stages=stages,
        synonyms=synonyms,
        out_of_scope=out_of_scope,
        intents=intents,
        _normalized=normalized,
    )
    _last_loaded[0] = weakref.ref(kb)
    return kb, out.problems


def _section(doc: _LineDict, key: str, kind: type, out: _Collector) -> Any:
    value = doc.get(key)
    if value is None:
        out.error(_line(doc), f"missing top-level section {key!r}")
        return None
    if not isinstance(value, kind):
        out.error(_line(doc, key), f"{key!r} must be a {'mapping' if kind is dict else 'list'}")
        return None
    return value


def _read_texts(doc: _LineDict, out: _Collector) -> Texts | None:
    node = _section(doc, "texts", dict, out)
    if node is None:
        return None
    out.unknown_keys(node, {*TEXT_KEYS, *OPTIONAL_TEXT_KEYS, *LIST_TEXT_KEYS}, "texts")
    values: dict[str, Any] = {key: out.text(node, key, "texts") for key in TEXT_KEYS}
    values.update({key: out.text(node, key, "texts", required=False) for key in OPTIONAL_TEXT_KEYS})
    values["fear_words"] = out.strings(node, "fear_words", "texts")
    values["situations"] = _read_situations(node, out)
    if values["did_you_mean_quote"] and "{words}" not in values["did_you_mean_quote"]:
        out.error(_line(node, "did_you_mean_quote"), "texts.did_you_mean_quote: must contain {words}")
    for key in ("stage_heading", "stage_not_overdue"):
        try:
            values[key].format(days=1, platform="x")
        except (KeyError, IndexError, ValueError) as exc:
            out.error(
                _line(node, key), f"texts.{key}: bad template ({exc}); use only {{days}} and {{platform}}"
            )
    return Texts(**values)


def _read_situations(node: _LineDict, out: _Collector) -> tuple[tuple[str, str], ...]:
    items = node.get("situations")
    if items is None:
        return ()
    if not isinstance(items, list):
        out.error(_line(node, "situations"), "texts.situations must be a list of {label, intent}")
        return ()
    pairs: list[tuple[str, str]] = []
    for item in items:
        if not isinstance(item, dict) or set(item) != {"label", "intent"}:
            out.error(_line(item) or _line(node, "situations"), "texts.situations: each item is {label, intent}")
            continue
        pairs.append((str(item["label"]).strip(), str(item["intent"]).strip()))
    return tuple(pairs)


def _read_crisis(doc: _LineDict, out: _Collector) -> Crisis | None:
    node = _section(doc, "crisis", dict, out)
    if node is None:
        return None
    out.unknown_keys(node, CRISIS_KEYS, "crisis")
    cues = {kind: normalize_cues(out.strings(node, kind, "crisis")) for kind in CUE_KINDS}
    if not cues["direct"]:
        out.error(_line(node), "crisis: 'direct' must list at least one cue")
    patterns = {
        key: out.strings(node, key, "crisis")
        for key in ("patterns", "not_crisis_patterns", "distress_patterns", "bereaved_patterns", "offer_withheld")
    }
    keyed = [(key, source) for key, sources in patterns.items() for source in sources]
    for i, exc in regexes.errors([source for _, source in keyed]):
        key, source = keyed[i]
        out.error(_line(node, key), f"crisis.{key}: bad regex {source!r} ({exc})")
    regions = node.get("regions") or {}
    region_words: dict[str, tuple[str, ...]] = {}
    if not isinstance(regions, dict):
        out.error(_line(node, "regions"), "crisis.regions must be a mapping")
    else:
        out.unknown_keys(regions, CRISIS_REGION_WORD_KEYS, "crisis.regions")
        region_words = {key: normalize_cues(out.strings(regions, key, "crisis.regions")) for key in regions}
    help_by_region = _read_crisis_help(node, out)
    if help_by_region is None:
        return None
    model: CrisisModel | None = None
    model_name = out.text(node, "model", "crisis", required=False)
    if model_name:
        try:
            model = CrisisModel.load(Path(out.file).parent / model_name)
        except FileNotFoundError:
            pass  # rules only (a copy of intents.yaml elsewhere); tests/test_crisis.py checks the shipped one
        except (OSError, ValueError) as exc:
            out.error(_line(node, "model"), f"crisis.model: cannot load {model_name!r} ({exc})")
    return CrisisRules(
        cues=cues,
        patterns=patterns["patterns"],
        not_crisis=normalize_cues(out.strings(node, "not_crisis", "crisis")),
        not_crisis_patterns=patterns["not_crisis_patterns"],
        distress=normalize_cues(out.strings(node, "distress", "crisis")),
        distress_patterns=patterns["distress_patterns"],
        bereaved_patterns=patterns["bereaved_patterns"],
        region_words=region_words,
        help=help_by_region,
        offer_intent=out.text(node, "offer_intent", "crisis"),
        offer_never=tuple(out.strings(node, "offer_never", "crisis")),
        offer_withheld=patterns["offer_withheld"],
        distress_intent=out.text(node, "distress_intent", "crisis", required=False) or "emotional",
        model=model,
        model_needs=normalize_cues(out.strings(node, "model_needs", "crisis")),
        safety_net=_read_safety_net(node, out),
        model_alone_at=_read_probability(node, "model_alone_at", out),
        model_question_at=_read_probability(node, "model_question_at", out),
        model_question_unless=normalize_cues(out.strings(node, "model_question_unless", "crisis")),
        old_age_inheritance=_read_old_age_inheritance(node, out),
    )


OLD_AGE_INHERITANCE_KEYS = {"age", "death", "heir", "unless"}


def _read_old_age_inheritance(node: _LineDict, out: _Collector) -> OldAgeInheritance | None:
    """``crisis.old_age_inheritance`` (see faq/crisis.py :class:`OldAgeInheritance`); regexes are checked here."""
    section = node.get("old_age_inheritance")
    if section is None:
        return None
    what = "crisis.old_age_inheritance"
    if not isinstance(section, dict):
        out.error(_line(node, "old_age_inheritance"), f"{what} must be a mapping")
        return None
    out.unknown_keys(section, OLD_AGE_INHERITANCE_KEYS, what)
    lists = {key: tuple(str(p) for p in out.strings(section, key, what)) for key in sorted(OLD_AGE_INHERITANCE_KEYS)}
    keyed = [(key, source) for key, sources in lists.items() for source in sources]
    for i, exc in regexes.errors([source for _, source in keyed]):
        key, source = keyed[i]
        out.error(_line(section, key), f"{what}.{key}: bad regex {source!r} ({exc})")
        return None
    return OldAgeInheritance(age=lists["age"], death=lists["death"], heir=lists["heir"], unless=lists["unless"])


def _read_probability(node: _LineDict, key: str, out: _Collector) -> float | None:
    value = node.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        out.error(_line(node, key), f"crisis.{key} must be a probability (0 < p <= 1)")
        return None
    return float(value)


def _read_safety_net(node: _LineDict, out: _Collector) -> SafetyNet | None:
    """``crisis.safety_net`` (see faq/crisis.py :class:`SafetyNet`); regexes are checked here."""
    section = node.get("safety_net")
    if section is None:
        return None
    if not isinstance(section, dict):
        out.error(_line(node, "safety_net"), "crisis.safety_net must be a mapping")
        return None
    out.unknown_keys(section, SAFETY_NET_KEYS, "crisis.safety_net")
    lists = {key: out.strings(section, key, "crisis.safety_net") for key in SAFETY_NET_KEYS - {"particles"}}
    keyed = [(key, source) for key in SAFETY_NET_REGEX_KEYS for source in lists[key]]
    for i, exc in regexes.errors([source for _, source in keyed])[:1]:
        key, source = keyed[i]
        out.error(_line(section, key), f"crisis.safety_net.{key}: bad regex {source!r} ({exc})")
        return None
    return SafetyNet(
        death=normalize_cues(lists["death"]),
        hyperbole_before=normalize_cues(lists["hyperbole_before"]),
        particles=str(section.get("particles") or ""),
        not_after=normalize_cues(lists["not_after"]),
        intent_before=normalize_cues(lists["intent_before"]),
        ending=tuple(str(p) for p in lists["ending"]),
        farewell=tuple(str(p) for p in lists["farewell"]),
        others=tuple(str(p) for p in lists["others"]),
        general_questions=tuple(str(p) for p in lists["general_questions"]),
    )


def _read_crisis_help(node: _LineDict, out: _Collector) -> dict[Region, RegionHelp] | None:
    """``crisis.help``: one entry per region, every help line sourced and shown in the crisis reply."""
    section = node.get("help")
    if not isinstance(section, dict):
        out.error(_line(node, "help"), "crisis: 'help' must map each region (mainland, hong_kong, taiwan)")
        return None
    out.unknown_keys(section, {r.value for r in Region}, "crisis.help")
    result: dict[Region, RegionHelp] = {}
    for region in Region:
        entry = section.get(region.value)
        what = f"crisis.help.{region.value}"
        if not isinstance(entry, dict):
            out.error(_line(section), f"{what}: missing (every region needs its help lines)")
            continue
        out.unknown_keys(entry, HELP_KEYS, what)
        lines: list[HelpLine] = []
        raw_lines = entry.get("lines")
        if not isinstance(raw_lines, list) or not raw_lines:
            out.error(_line(entry), f"{what}: 'lines' must list at least one help line")
            raw_lines = []
        for item in raw_lines:
            if not isinstance(item, dict):
                out.error(_line(entry, "lines"), f"{what}: each line needs number, name and source")
                continue
            out.unknown_keys(item, HELP_LINE_KEYS, f"{what}.lines")
            lines.append(
                HelpLine(
                    number=str(item.get("number", "")).strip(),
                    name=out.text(item, "name", f"{what}.lines"),
                    hours=out.text(item, "hours", f"{what}.lines", required=False),
                    source=out.text(item, "source", f"{what}.lines"),
                )
            )
        texts = {
            key: out.text(entry, key, what, required=key not in OPTIONAL_HELP_KEYS) for key in HELP_KEYS - {"lines"}
        }
        for line in lines:
            if not line.number:
                out.error(_line(entry, "lines"), f"{what}: a help line has no number")
                continue
            for key in ("answer", "someone_else"):
                if texts[key] and line.number not in texts[key]:
                    out.error(_line(entry, key), f"{what}: '{key}' does not show the line {line.number}")
        if lines and lines[0].number:
            for key in ("footer", "distress", "elsewhere", "bereaved"):
                if texts[key] and lines[0].number not in texts[key]:
                    out.error(_line(entry, key), f"{what}: '{key}' must show the first line {lines[0].number}")
        for key in ("footer", "elsewhere"):
            if "\n" in texts[key]:
                out.error(_line(entry, key), f"{what}: '{key}' must be one line")
        topic = texts["offer_topic_button"]
        if topic and (topic.count("{title}") != 1 or "\n" in topic or re.search("[{}]", topic.replace("{title}", ""))):
            out.error(
                _line(entry, "offer_topic_button"), f"{what}: 'offer_topic_button' must be one line with {{title}} once"
            )
        result[region] = RegionHelp(region=region, lines=tuple(lines), **texts)
    return result if len(result) == len(Region) else None


def _read_platforms(doc: _LineDict, out: _Collector) -> tuple[Platform, ...]:
    node = _section(doc, "platforms", list, out)
    return tuple(Platform(pid, names) for pid, names in _named_entries(node, "platforms", "platform", out))


def _read_lenders(doc: _LineDict, out: _Collector) -> tuple[Lender, ...]:
    """The optional ``lenders:`` section: ``[{id, names}]`` like platforms."""
    node = doc.get("lenders")
    if node is None:
        return ()
    if not isinstance(node, list):
        out.error(_line(doc, "lenders"), "'lenders' must be a list")
        return ()
    return tuple(Lender(lid, names) for lid, names in _named_entries(node, "lenders", "lender", out))


def _named_entries(node: Any, section: str, what: str, out: _Collector) -> list[tuple[str, tuple[str, ...]]]:
    """The valid ``{id, names}`` entries of a platforms-like section (errors for the others)."""
    entries: list[tuple[str, tuple[str, ...]]] = []
    for item in node or []:
        if not isinstance(item, dict):
            out.error(_line(node), f"{section}: each entry must be a mapping {{id, names}}")
            continue
        out.unknown_keys(item, PLATFORM_KEYS, f"a {what}")
        entry_id = item.get("id")
        if not isinstance(entry_id, str) or not _ID.match(entry_id) or entry_id == GENERAL:
            out.error(_line(item), f"{section}: bad id {entry_id!r}")
            continue
        names = out.strings(item, "names", f"{what} {entry_id}")
        if not names:
            out.error(_line(item), f"{what} {entry_id}: 'names' must list at least one name")
            continue
        if any(existing == entry_id for existing, _ in entries):
            out.error(_line(item), f"{section}: duplicate id {entry_id!r}")
        entries.append((entry_id, names))
    return entries


def _read_stages(doc: _LineDict, out: _Collector, platform_ids: set[str]) -> dict[str, tuple[Stage, ...]]:
    node = _section(doc, "stages", dict, out)
    if node is None:
        return {}
    if GENERAL not in node:
        out.error(_line(node), f"stages: a {GENERAL!r} table is required")
    tables: dict[str, tuple[Stage, ...]] = {}
    for pid, rows in node.items():
        if pid != GENERAL and pid not in platform_ids:
            out.error(_line(node, pid), f"stages: {pid!r} is not a platform id")
        if not isinstance(rows, list) or not rows:
            out.error(_line(node, pid), f"stages.{pid}: must be a non-empty list of day ranges")
            continue
        stages = [s for s in (_read_stage(pid, row, out) for row in rows) if s is not None]
        if len(stages) == len(rows):
            _check_stage_ranges(pid, stages, rows, out)
        tables[pid] = tuple(stages)
    return tables


def _read_stage(pid: str, row: Any, out: _Collector) -> Stage | None:
    if not isinstance(row, dict):
        out.error(_line(row), f"stages.{pid}: each range must be a mapping")
        return None
    out.unknown_keys(row, STAGE_KEYS, f"stages.{pid}")
    low, high = row.get("min_days"), row.get("max_days", "missing")
    if not isinstance(low, int) or isinstance(low, bool) or low < 0:
        out.error(_line(row), f"stages.{pid}: min_days must be a whole number >= 0")
        return None
    if high == "missing" or not (high is None or (isinstance(high, int) and not isinstance(high, bool))):
        out.error(_line(row), f"stages.{pid}: max_days must be a whole number or null (open end)")
        return None
    if high is not None and high < low:
        out.error(_line(row), f"stages.{pid}: max_days {high} is below min_days {low}")
        return None
    what = f"stages.{pid} {low}-{'' if high is None else high}"
    texts = {key: out.text(row, key, what) for key in ("title", "expect", "rights", "todo")}
    return Stage(platform=pid, min_days=low, max_days=high, **texts)


def _check_stage_ranges(pid: str, stages: list[Stage], rows: list[Any], out: _Collector) -> None:
    if stages[0].min_days != 0:
        out.error(_line(rows[0]), f"stages.{pid}: the first range must start at 0 days")
    pairs = zip(zip(stages, rows, strict=True), zip(stages[1:], rows[1:], strict=True), strict=False)
    for (prev, prev_row), (cur, cur_row) in pairs:
        if prev.max_days is None:
            out.error(_line(prev_row), f"stages.{pid}: only the last range may be open (max_days: null)")
            continue
        if cur.min_days <= prev.max_days:
            out.error(
                _line(cur_row), f"stages.{pid}: range starting at {cur.min_days} overlaps the one before"
            )
        elif cur.min_days > prev.max_days + 1:
            out.error(
                _line(cur_row),
                f"stages.{pid}: gap between {prev.max_days} and {cur.min_days} days (ranges are inclusive)",
            )
    if stages[-1].max_days is not None:
        out.error(_line(rows[-1]), f"stages.{pid}: the last range must be open (max_days: null)")


def _read_synonyms(doc: _LineDict, out: _Collector) -> dict[str, str]:
    node = doc.get("synonyms")
    if node is None:
        return {}
    if not isinstance(node, dict):
        out.error(_line(doc, "synonyms"), "synonyms must be a mapping word -> canonical word")
        return {}
    synonyms: dict[str, str] = {}
    for word, canonical in node.items():
        if not isinstance(canonical, str | int) or not str(word).strip() or not str(canonical).strip():
            out.error(_line(node, word), f"synonyms: {word!r} must map to a word")
            continue
        key, value = normalize(str(word)), normalize(str(canonical))
        if key and value and key != value:
            synonyms[key] = value
    return synonyms


def _read_out_of_scope(doc: _LineDict, out: _Collector) -> tuple[OutOfScopeGroup, ...]:
    node = doc.get("out_of_scope")
    if node is None:
        return ()
    if not isinstance(node, list):
        out.error(
            _line(doc, "out_of_scope"), "out_of_scope must be a list of groups {id, answer?, questions}"
        )
        return ()
    groups: list[OutOfScopeGroup] = []
    for item in node:
        if not isinstance(item, dict):
            out.error(_line(node), "out_of_scope: each group must be a mapping {id, answer?, questions}")
            continue
        out.unknown_keys(item, OUT_OF_SCOPE_KEYS, "an out_of_scope group")
        gid = item.get("id")
        if not isinstance(gid, str) or not _ID.match(gid):
            out.error(_line(item), f"out_of_scope: bad id {gid!r}")
            continue
        questions = out.strings(item, "questions", f"out_of_scope {gid}", gid)
        if not questions:
            out.error(_line(item), "out_of_scope group without questions", gid)
        answer = out.text(item, "answer", f"out_of_scope {gid}", gid, required=False) or None
        if answer and len(answer) > TELEGRAM_MESSAGE_LIMIT:
            out.error(_line(item, "answer"), f"answer is {len(answer)} characters, over Telegram's 4096", gid)
        groups.append(OutOfScopeGroup(gid, questions, answer))
    return tuple(groups)


def _read_intents(doc: _LineDict, out: _Collector) -> tuple[Intent, ...]:
    node = _section(doc, "intents", list, out)
    intents: list[Intent] = []
    seen: dict[str, int] = {}
    for item in node or []:
        if not isinstance(item, dict):
            out.error(_line(node), "intents: each intent must be a mapping")
            continue
        iid = item.get("id")
        if not isinstance(iid, str) or not _ID.match(iid):
            out.error(_line(item), f"intent with a missing or bad id {iid!r} (use lower_case_words)")
            continue
        if iid in seen:
            out.error(_line(item), f"duplicate intent id (first at line {seen[iid]})", iid)
            continue
        seen[iid] = _line(item)
        out.unknown_keys(item, INTENT_KEYS, "an intent", iid)
        questions = out.strings(item, "questions", "intent", iid)
        if not questions:
            out.error(_line(item), "intent without questions", iid)
        elif len(questions) < MIN_EXAMPLES_WARNING:
            out.warning(
                _line(item, "questions"), f"only {len(questions)} example questions (8+ advised)", iid
            )
        answer = out.text(item, "answer", "intent", iid)
        if len(answer) > TELEGRAM_MESSAGE_LIMIT:
            out.error(_line(item, "answer"), f"answer is {len(answer)} characters, over Telegram's 4096", iid)
        title = out.text(item, "title", "intent", iid, required=False) or (questions[0] if questions else iid)
        summary = out.text(item, "summary", "intent", iid, required=False)
        if len(summary) > MAX_SUMMARY_CHARS:
            out.error(
                _line(item, "summary"),
                f"summary is {len(summary)} characters (at most {MAX_SUMMARY_CHARS})",
                iid,
            )
        sources = out.strings(item, "sources", "intent", iid)
        if not sources:
            out.error(_line(item), "intent without 'sources' (name the article or law behind it)", iid)
        intents.append(
            Intent(
                id=iid,
                title=title,
                questions=questions,
                answer=answer,
                keywords=out.strings(item, "keywords", "intent", iid),
                related=out.strings(item, "related", "intent", iid),
                sources=sources,
                summary=summary,
                details=out.text(item, "details", "intent", iid, required=False),
                ask=out.text(item, "ask", "intent", iid, required=False),
                line=_line(item),
                question_lines=Lines(line for text, line in _question_lines(item) if text.strip()),
            )
        )
    return tuple(intents)


def _question_lines(item: Any) -> Iterator[tuple[str, int]]:
    questions = item.get("questions") if isinstance(item, dict) else None
    if isinstance(questions, _LineList):
        for text, line in zip(questions, questions.item_lines, strict=False):
            yield str(text), line


def _check_crisis_intents(crisis: Crisis, ids: set[str], doc: _LineDict, out: _Collector) -> None:
    """The crisis reply's one button must open an intent. (A missing ``distress_intent`` is allowed: a
    distressed reader who asked nothing else then gets the warm sentence alone.)"""
    node = doc.get("crisis")
    if crisis.offer_intent and crisis.offer_intent not in ids:
        out.error(_line(node, "offer_intent"), f"crisis.offer_intent: unknown intent {crisis.offer_intent!r}")
    for intent_id in crisis.offer_never:
        if intent_id not in ids:
            out.error(_line(node, "offer_never"), f"crisis.offer_never: unknown intent {intent_id!r}")


def _check_cross_references(
    intents: tuple[Intent, ...], groups: tuple[OutOfScopeGroup, ...], doc: _LineDict, out: _Collector
) -> dict[str, str]:
    """Checks the references between sections and the duplicate examples; returns each example question
    written without spaces around it normalised, as the duplicate check normalised it (by text: the
    questions the intents and groups hold, :meth:`KnowledgeBase.take_normalized_examples`), up to
    :data:`HAND_OVER_NORMALIZED_UP_TO` examples (else none)."""
    ids = {intent.id for intent in intents}
    texts = doc.get("texts")
    situations = texts.get("situations") if isinstance(texts, dict) else None
    for item in situations if isinstance(situations, list) else []:
        if isinstance(item, dict) and item.get("intent") not in ids:
            out.error(_line(item), f"texts.situations: unknown intent {item.get('intent')!r}")
    items = {item.get("id"): item for item in (doc.get("intents") or []) if isinstance(item, dict)}
    for intent in intents:
        for target in intent.related:
            if target not in ids:
                out.error(
                    _line(items.get(intent.id), "related"), f"related: unknown intent {target!r}", intent.id
                )
            elif target == intent.id:
                out.error(
                    _line(items.get(intent.id), "related"),
                    "related: an intent cannot relate to itself",
                    intent.id,
                )

    # Duplicate example questions, also once Traditional becomes Simplified and punctuation is dropped.
    owners: dict[str, str] = {}
    normalized: dict[str, str] = {}
    count = sum(len(intent.questions) for intent in intents) + sum(len(group.questions) for group in groups)
    hand_over = count <= HAND_OVER_NORMALIZED_UP_TO
    sources: list[tuple[str, Any]] = [(intent.id, items.get(intent.id)) for intent in intents]
    sources += [
        (f"out_of_scope:{g.id}", item) for g, item in zip(groups, doc.get("out_of_scope") or [], strict=False)
    ]
    for owner, item in sources:
        for text, line in _question_lines(item):
            key = normalize_example(text)
            if hand_over:  # (a text with spaces around it is held stripped: not found by it)
                normalized[text] = key
            if not key:
                continue
            first = owners.get(key)
            if first is None:
                owners[key] = owner
            elif first == owner:
                out.error(line, f"duplicate example question {text!r}", owner)
            else:
                out.error(line, f"example question {text!r} is also an example of {first}", owner)
    return normalized
