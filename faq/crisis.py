"""Words of despair: a pure detector run on the whole message (up to Telegram's 4096 characters) before
anything else.

>>> detector = CrisisDetector(rules)                  # doctest: +SKIP
>>> detector.detect("还不上了 真的不想活了").crisis   # doctest: +SKIP
True

The rules are data, kept in the ``crisis:`` section of ``intents.yaml`` so that maintainers can edit them
(see ``docs/knowledge-base.md``); this module only applies them:

1. The message is normalised like every message (OpenCC Traditional -> Simplified, NFKC, lower case,
   punctuation -> space), but read whole.
2. Everyday hyperbole and threats made by others (``not_crisis``: 急死了, 笑死, 想死你了, 死活, 死账,
   "催收说要弄死我") are blanked out first, so that what is left cannot fire on them.
3. Crisis: any cue of the lists ``direct``, ``indirect``, ``means``, ``goodbye`` (substrings, spaces
   ignored), or any regex of ``patterns`` (structures such as 想/准备 + 去死, 安眠药 + 攒/买). Cues are also
   found when typed in pinyin ("bu xiang huo le", "buxianghuole", spelling confusions zh/z, ing/in
   forgiven) and, for cues of three or more syllables, when typed with homophones (不想获了).
4. Distress without self-harm: the ``distress`` cues and ``distress_patterns`` (我快崩溃了, 好几天睡不着).
5. The region whose help lines the reader needs: Hong Kong for Hong Kong words or Cantonese written in
   Traditional characters, Taiwan for Taiwan words, the mainland for Simplified text. When that is a
   guess (other Traditional text: Taiwan; Cantonese in Simplified: Guangdong), ``also`` names Hong Kong,
   whose line is added.

Nothing here logs or stores the message.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property, lru_cache, partial
from pathlib import Path

from faq import pinyin, regexes, screens
from faq.crisis_model import CrisisModel, Scores, Settings, TranslationTable, han_reading, train, windows
from faq.normalize import is_traditional, normalize, safe_text, to_simplified, to_traditional
from faq.screens import Screen, Source, required_sets

#: A message is read whole for despair, up to Telegram's limit.
SCAN_CHARS = 4096
#: The cue lists whose words mean crisis, in the order they are reported.
CUE_KINDS = ("direct", "indirect", "means", "goodbye")
#: Cues of at least this many syllables are also found when typed with homophones (不想获了).
MIN_HOMOPHONE_SYLLABLES = 3
#: Pinyin keys shorter than this must be a whole Latin word or run to count ("zisha", not "...zisha...").
MIN_EMBEDDED_PINYIN = 9
MAX_READINGS = 16
#: Two-character cues also found typed with homophones right after a word of intent (想紫砂, 想轻声): the
#: ``means`` and these; not those whose homophones are words of debt talk (上吊 ~ 上调, 农药 ~ 弄要).
HOMOPHONE_PAIRS = frozenset({"自杀", "轻生", "寻死"})
NO_HOMOPHONE_PAIRS = frozenset({"上吊", "农药"})
#: Everyday words that sound like a cue of three or more syllables once the confused spellings are collapsed
#: (看不下去 "can't bear to watch" ~ 扛不下去, kan/kang): written in these characters they are that word, not a
#: homophone typo of the cue.
HOMOPHONE_WORDS = frozenset({"看不下去"})
#: The model's weights, beside the knowledge base (written by ``python -m faq.crisis train``).
MODEL_FILE = "crisis_model.json"


class Region(StrEnum):
    MAINLAND = "mainland"
    HONG_KONG = "hong_kong"
    TAIWAN = "taiwan"


# --------------------------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class HelpLine:
    """One help line as shown to the reader, with where it was verified."""

    number: str
    name: str
    hours: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class RegionHelp:
    """What a reader in one region is given, written in that region's script."""

    region: Region
    lines: tuple[HelpLine, ...]
    #: The crisis reply: warm words and the help lines (a message of its own, sent first).
    answer: str
    #: The gentle offer to talk about the debt later (a second message, with one button).
    offer: str
    #: The label of that one button.
    offer_button: str
    #: One line that ends every reply in the chat for a while after a crisis reply.
    footer: str
    #: One warm, true sentence with a help line, put before the answer to a distressed reader's question.
    distress: str
    #: The region's first line for a reader who may be there (added when the region is a guess).
    elsewhere: str
    #: For a reader who fears for someone else ("我朋友说他想不开"): how to help that person, with the
    #: lines; empty: the reader's own crisis reply.
    someone_else: str = ""
    #: For a reader whose someone close died by suicide and who asks about the debt ("我老公上个月自杀了 网贷
    #: 要我还吗"): one line of condolence with the first help line, before the answer; empty: ``distress``.
    bereaved: str = ""
    #: The label of the one button when the message also asks an in-scope question: a template with
    #: ``{title}`` (the topic's title, put in the region's script); empty: the button is ``offer_button``.
    offer_topic_button: str = ""

    def topic_button(self, title: str) -> str:
        """The one button's label for a topic the reader asked about ("准备好了,看看「修改紧急联系人」"), in this
        region's script; empty when the region has no ``offer_topic_button``."""
        if not self.offer_topic_button:
            return ""
        if self.region is not Region.MAINLAND:  # the other regions' texts are written in Traditional
            title = to_traditional(title, "hk" if self.region is Region.HONG_KONG else "tw")
        return self.offer_topic_button.replace("{title}", title)


@dataclass(frozen=True)
class CrisisRules:
    """The ``crisis:`` section of the knowledge base (cue texts already normalised)."""

    cues: Mapping[str, tuple[str, ...]]
    patterns: tuple[str, ...]
    not_crisis: tuple[str, ...]
    not_crisis_patterns: tuple[str, ...]
    distress: tuple[str, ...]
    distress_patterns: tuple[str, ...]
    #: Words that place the reader: ``hong_kong``, ``taiwan``, ``mainland`` and ``cantonese``.
    region_words: Mapping[str, tuple[str, ...]]
    help: Mapping[Region, RegionHelp]
    #: The intent the crisis reply's one button opens (the debt, when the reader is ready), unless the message
    #: also asks an in-scope question: then the button opens that question's intent (see ``offer_never``).
    offer_intent: str
    #: The intent a distressed reader who asked nothing else is answered with.
    distress_intent: str = "emotional"
    #: The second opinion on what the rules do not recognise (faq/crisis_model.py); None: rules only.
    model: CrisisModel | None = None
    #: The model is asked only about messages with one of these words (death, ending, leaving, means):
    #: it must not read "我想知道欠了多少" as despair for its 我想. Empty: always.
    model_needs: tuple[str, ...] = ()
    #: From this probability the model is believed without one of ``model_needs`` (``crisis.model_alone_at``;
    #: None: never). 0.9 added no false alarm on 783 ordinary questions, the KB's 1105 or 862 negatives.
    model_alone_at: float | None = None
    #: The high-recall safety net under the cue lists (``crisis.safety_net``); None: cue lists only.
    safety_net: SafetyNet | None = None
    #: Someone close who died by suicide, asked about as a debt question (regexes over each clause, Simplified,
    #: no spaces, before hyperbole is blanked): not a crisis; the region's ``bereaved`` line before the answer.
    bereaved_patterns: tuple[str, ...] = ()
    #: Intents the crisis reply's button never opens, even when the message asks them: their answers speak of
    #: what becomes of a debt when the borrower dies (family_liability); the button opens ``offer_intent``.
    offer_never: tuple[str, ...] = ()
    #: Regexes (Simplified, no spaces): a crisis message that speaks of the reader's own death or leaving as
    #: the time or condition of what it asks ("我走了以后 网贷会找我爸妈吗", "想先弄清楚再走", "问这些也没用了")
    #: gets ``offer_intent``'s button, whatever it asks: its answer would serve the plan.
    offer_withheld: tuple[str, ...] = ()
    #: An old reader's question of who repays after their death (see :class:`OldAgeInheritance`); None: none.
    old_age_inheritance: OldAgeInheritance | None = None
    #: A crisis of the model alone (no cue, no net) under this probability is doubted when the message says no
    #: word of ``model_question_unless``: the engine then reads it as distress (the help line before the answer)
    #: when it asks an in-scope question the matcher answers clearly (:meth:`CrisisDetector.doubted`,
    #: ``Engine.understand``). Chosen on cross-validation (``crisis.model_question_at``); None: never.
    model_question_at: float | None = None
    #: Words of dying, ending, leaving and means (as the detector compares cues): a message with one of them keeps
    #: every crisis of the model, whatever else it asks.
    model_question_unless: tuple[str, ...] = ()

    @property
    def answer(self) -> str:
        """The mainland crisis reply (kept for callers written before the regions)."""
        return self.help[Region.MAINLAND].answer


@dataclass(frozen=True, slots=True)
class Reading:
    """The parts of the layer on one message, before :meth:`CrisisDetector.decide` combines them."""

    region: Region
    also: Region | None = None
    #: a cue of the lists, a pattern, pinyin or homophones
    cue: str | None = None
    #: the safety net (read only when no cue fired)
    net: str | None = None
    distress: str | None = None
    #: whether the message has a word of ``model_needs`` (or the list is empty)
    needed: bool = False
    scores: Scores | None = None
    #: the cue of the lists or patterns speaks of someone else (see :func:`about_someone_else`)
    someone_else: bool = False
    #: a pattern of ``bereaved_patterns`` (someone close died by suicide)
    bereaved: str | None = None


@dataclass(frozen=True, slots=True)
class Signal:
    """What the detector read in a message."""

    crisis: bool
    distress: bool
    region: Region
    #: A second region whose help line is added when the region is a guess (Traditional text without
    #: regional words: Taiwan, and Hong Kong too; Cantonese in Simplified: the mainland, and Hong Kong too).
    also: Region | None = None
    #: The cue that fired, e.g. "direct:不想活", "pattern:...", "pinyin:buxianghuo" (for tests and eval).
    cue: str | None = None
    #: The person at risk is someone the reader writes about ("我朋友说他想不开"), not the reader: the
    #: reply tells them how to help that person (and where to turn if they cannot go on themselves).
    someone_else: bool = False
    #: Not a crisis: someone close to the reader died by suicide (a question of liability, answered): the
    #: answer comes after the region's ``bereaved`` line (``distress`` is set too, so that a line comes first).
    bereaved: bool = False
    #: For a crisis: each clause of the message (as normalised) and whether it is a crisis on its own, from
    #: the same reading (see :meth:`CrisisDetector.detect`); the engine reads what else a crisis message
    #: asks without those clauses. Empty otherwise.
    clauses: tuple[tuple[str, bool], ...] = field(default=(), compare=False, repr=False)
    #: For a crisis of the model alone (no cue, no net): the model's crisis probability. None otherwise.
    model_crisis: float | None = field(default=None, compare=False, repr=False)


# ------------------------------------------------------------------------------------------ pinyin


_LATIN_RUN = regexes.lazy(r"[a-z]+(?: [a-z]+)*")
_HAN = regexes.lazy(r"[\u3400-\u9fff]")
#: One Han character, a run of Latin letters, or any other character (the homophone scan's units).
_TOKEN = regexes.lazy(r"[\u3400-\u9fff]|[a-z]+|.")
#: Words around a short pinyin cue typed as one run ("woxiangsi", "zhendexiangsile").
#: (The run is compared with zh/ch/sh and ang/eng/ing collapsed, so the words are listed in both spellings;
#: the core is tried shortest and longest, so that "zisha" keeps its final "a".)
_PINYIN_AROUND_WORDS = r"(?:wo|zhende|zende|zhen|zen|hao|hen|jiu|ye|zhishi|zisi|zhenshi|zensi|shizai|sizai)*"
_PINYIN_AROUND = (
    regexes.lazy(rf"^{_PINYIN_AROUND_WORDS}(.+?)(?:le|a|ya|ba|la|ne)*$"),
    regexes.lazy(rf"^{_PINYIN_AROUND_WORDS}(.+)$"),
    # a word of intent before the cue, typed as one run: "woxiangqusi", "woyaozisha"
    regexes.lazy(rf"^{_PINYIN_AROUND_WORDS}(?:xian|yao|zunbei|dasuan)(.+?)(?:le|a|ya|ba|la|ne)*$"),
    regexes.lazy(rf"^{_PINYIN_AROUND_WORDS}(?:xian|yao|zunbei|dasuan)(.+)$"),
)
#: Pinyin words after a short cue that make it hyperbole: "xiang si ni le" (想死你了, missing someone).
_PINYIN_OBJECTS = frozenset({"ni", "nimen", "ta", "tamen", "nile", "nia"})
#: Words of intent before which a two-syllable cue typed with homophones counts (想跳娄, 要紫砂, 想轻声).
_INTENT_BEFORE = frozenset({"想", "要", "去", "备", "算", "定"})
_LATIN_LETTER = regexes.lazy("[a-z\n]")
#: The homophone keys' syllables stand in a text as characters of the private use area from here.
_STAND_IN_BASE = 0xE000


def _stand_in_of(stand_in: Mapping[str, str], ch: str) -> str:
    """The stand-in of a character's reading (one of ``stand_in``'s), or "\\0" (see _Compiled.homophone_sounds)."""
    return stand_in.get(_reading(ch), "\0")


def _fuzzy(key: str) -> str:
    """Spellings typists confuse collapsed: zh/z, ch/c, sh/s, ang/an, eng/en, ing/in. Plain replacements,
    initials then finals, as faq.analyze's: none of them can make or break a pair another one reads, so that
    they give what one left-to-right pass of each would (a test checks them against the regular expressions
    they replaced)."""
    initials = key.replace("zh", "z").replace("ch", "c").replace("sh", "s")
    return initials.replace("ang", "an").replace("eng", "en").replace("ing", "in")


@lru_cache(maxsize=8192)
def _reading(token: str) -> str:
    """The usual toneless reading of one character, spelling confusions collapsed; a short Latin word is
    read as the syllable it spells ("我想sha了自己"); '|' for anything else."""
    if not _HAN.match(token):
        return _fuzzy(token) if token.isascii() and token.isalpha() and len(token) <= 6 else "|"
    # The model's reading of the character (the same pypinyin reading, the same spellings collapsed; a test
    # checks every character of the range): pypinyin is asked once per character, not once per layer.
    return han_reading(token) or "|"


def _pairs_homophones(kind: str, cue: str) -> bool:
    """Whether a two-character cue is also found typed with homophones after a word of intent."""
    return (kind == "means" or cue in HOMOPHONE_PAIRS) and cue not in NO_HOMOPHONE_PAIRS


def _syllable_readings(word: str) -> list[tuple[str, ...]]:
    """Every toneless reading of ``word`` as a tuple of syllables (at most MAX_READINGS)."""
    return list(itertools.islice(itertools.product(*pinyin.word_readings(word)), MAX_READINGS))


# -------------------------------------------------------------------------------------- safety net


@dataclass(frozen=True)
class SafetyNet:
    """``crisis.safety_net``: a high-recall layer that generalises instead of enumerating phrasings.

    A clause (the text between punctuation) is a crisis when it holds a death character (``death``, 死)
    not read as hyperbole, or a match of ``ending`` (ending one's life, means and places, life as payment)
    or ``farewell`` (goodbyes and handing over), and the clause is not explained by someone else as its
    subject or speaker (``others``). A death character is hyperbole when one of ``hyperbole_before``
    (累, 饿, 吓, 笑 ...) precedes it (skipping ``particles`` such as 得要/快), when it begins one of
    ``not_after`` compounds (死账, 死机, 死活, 想死你), or when the clause is passive (被 ... 死).
    ``general_questions`` (a debt question about death in general: 人死了债..., 继承) excuse the death
    character in the whole message (not ``ending`` or ``farewell``). All are regexes except ``death``,
    ``hyperbole_before``, ``particles``, ``not_after`` and ``intent_before`` (plain texts)."""

    death: tuple[str, ...] = ()
    hyperbole_before: tuple[str, ...] = ()
    particles: str = ""
    not_after: tuple[str, ...] = ()
    #: Words of intent before a death character (想, 要, 去, 寻, 该, 不如, 让我): read in the text before the
    #: phrase lists blanked hyperbole.
    intent_before: tuple[str, ...] = ()
    ending: tuple[str, ...] = ()
    farewell: tuple[str, ...] = ()
    others: tuple[str, ...] = ()
    general_questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class OldAgeInheritance:
    """``crisis.old_age_inheritance``: an old reader who asks who repays the debt once they have died of age.

    "When I am gone, does my son repay this?" is a question of inheritance (family_liability) when the reader
    speaks of their own old age (a clause of ``age``: 年纪大了, 我都七十多了, 百年之后) and asks who repays or
    inherits (``heir`` anywhere), and nothing in the message speaks of choosing to die or of what dying would
    solve (``unless`` anywhere: 拖累, 解脱, 就不用还了, 准备, 药 ...). Then the clauses' ``death`` phrases (the
    reader's own death as the time of the question: 哪天我没了, 等我走了以后) are blanked like hyperbole,
    for the rules and the model alike; the rest of the message is read as ever. Without the old age, the same
    question stays a crisis (the crisis files label it one). All regexes
    over each clause (Simplified, lower case, no spaces, before hyperbole is blanked)."""

    age: tuple[str, ...] = ()
    death: tuple[str, ...] = ()
    heir: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()

    @cached_property
    def patterns(self) -> tuple[re.Pattern[str] | None, ...]:
        """``age``, ``death``, ``heir`` and ``unless``, each list as one regex (None: an empty list), joined and
        compiled at the first message that needs them, not again for every message."""
        return tuple(
            regexes.compiled(joined) if (joined := _joined(sources)) else None
            for sources in (self.age, self.death, self.heir, self.unless)
        )


def set_aside_natural_death(rules: OldAgeInheritance | None, clauses: Sequence[str], cleared: list[str]) -> list[str]:
    """``cleared`` (the clauses with hyperbole blanked) with the reader's own death blanked out where the
    message is an old reader's question of inheritance (see :class:`OldAgeInheritance`); else ``cleared``."""
    if rules is None:
        return cleared
    age, death, heir, unless = rules.patterns
    if age is None or death is None or heir is None or not any(age.search(clause) for clause in clauses):
        return cleared
    whole = "|".join(clauses)
    if not heir.search(whole) or (unless is not None and unless.search(whole)):
        return cleared
    return [death.sub("|", clause) for clause in cleared]


def _joined(patterns: Iterable[str]) -> str:
    """The patterns as one alternation ("" for none)."""
    return "|".join(f"(?:{p})" for p in patterns if p)


def _any(patterns: Iterable[str]) -> re.Pattern[str] | None:
    joined = _joined(patterns)
    return re.compile(joined) if joined else None


@dataclass(frozen=True)
class CompiledNet:
    """A :class:`SafetyNet` with its regexes compiled (built once per knowledge base)."""

    net: SafetyNet
    #: (compiled by :func:`faq.regexes.compiled` when a message first lets one through its screen)
    ending: tuple[Source, ...]
    farewell: tuple[Source, ...]
    others: re.Pattern[str] | None
    general: re.Pattern[str] | None
    #: which of ``ending`` / ``farewell`` can match a text, by its characters
    ending_screen: Screen = field(default_factory=lambda: Screen({}, ()))
    farewell_screen: Screen = field(default_factory=lambda: Screen({}, ()))

    @classmethod
    def build(cls, net: SafetyNet) -> CompiledNet:
        ending = tuple(Source(p) for p in net.ending if p)
        farewell = tuple(Source(p) for p in net.farewell if p)
        screens.prepare([*ending, *farewell])
        return cls(
            net,
            ending,
            farewell,
            _any(net.others),
            _any(net.general_questions),
            Screen.of_patterns(ending),
            Screen.of_patterns(farewell),
        )


def death_is_hyperbole(clause: str, at: int, net: SafetyNet) -> bool:
    """Whether the death character at ``clause[at]`` is everyday hyperbole or a compound (累死了, 吓死人,
    想死你了, 死账, 死机, 被打死), by the general rule of :class:`SafetyNet`."""
    death = next((d for d in net.death if clause.startswith(d, at)), "")
    after = clause[at + len(death) :]
    if any(after.startswith(word) for word in net.not_after):
        return True
    before = clause[:at]
    if "被" in before:
        return True
    stripped = before.rstrip(net.particles) if net.particles else before
    if before and not stripped and "我" not in before:
        return True  # an exclamation opening the clause: 要死了, 快死了 (not 我要死了)
    return any(stripped.endswith(word) for word in net.hyperbole_before if word)


def _clause_of(text: str, at: int) -> tuple[int, int]:
    start = text.rfind(" ", 0, at) + 1
    end = text.find(" ", at)
    return start, len(text) if end < 0 else end


def safety_net_cue(compiled: CompiledNet, text: str, raw: str | None = None) -> str | None:
    """The safety net's cue in ``text`` (clauses separated by single spaces, hyperbole blanked), or None.

    ``raw`` is the same text before hyperbole was blanked (the default: ``text``): the death character is
    judged there by the net's own general rule, not by the phrase lists (which read any unknown X死了 as
    hyperbole). Pure: both are the message as :meth:`CrisisDetector.detect` reads it."""
    net = compiled.net

    def explained(at: int, where: str = text, inside: tuple[int, int] = (0, 0)) -> bool:
        """Whether someone else is the subject of the clause at ``at`` (words inside the match ``inside``,
        such as 让她来收拾, are part of the structure, not another subject)."""
        start, end = _clause_of(where, at)
        if compiled.others is None:
            return False
        return any(not (inside[0] <= m.start() < inside[1]) for m in compiled.others.finditer(where, start, end))

    chars = set(text)
    for kind, patterns, screen in (
        ("ending", compiled.ending, compiled.ending_screen),
        ("farewell", compiled.farewell, compiled.farewell_screen),
    ):
        for pattern in (regexes.compiled(patterns[i].pattern) for i in screen.candidates(chars)):
            # Every match, overlapping ones too; whose clause is the one where the match ends (its act).
            match = pattern.search(text)
            while match is not None:
                if not explained(max(match.start(), match.end() - 1), text, match.span()):
                    return f"net-{kind}:{match.group(0)}"
                match = pattern.search(text, match.start() + 1)
    raw = text if raw is None else raw
    if not any(death in text or death in raw for death in net.death):
        return None  # no death character: nothing below can fire (whatever a general question says)
    if compiled.general is not None and compiled.general.search(raw):
        return None
    # In the blanked text every death character left is judged by the hyperbole rule; in the text before
    # blanking (where the phrase lists read any unknown X死了 as hyperbole) only one right after a word of
    # intent counts (想死, 要死, 相死 typed for 想死).
    for where, intent_only in ((text, False), (raw, True)):
        for death in net.death:
            at = where.find(death)
            while at >= 0:
                start, end = _clause_of(where, at)
                clause, i = where[start:end], at - start
                counts = _after_intent(clause, i, net) if intent_only else True
                if counts and not death_is_hyperbole(clause, i, net) and not explained(at, where):
                    return f"net-death:{where[max(start, at - 3) : at + len(death) + 2]}"
                at = where.find(death, at + 1)
    return None


#: Before a word of intent, what makes it not the writer's intent: another person (你去死), a degree
#: complement (高得要死), a concession (死也要) or an adjective (该死的).
_NOT_INTENT_BEFORE = ("你", "他", "她", "得", "也", "的", "真")


def _after_intent(clause: str, at: int, net: SafetyNet) -> bool:
    """Whether the death character at ``clause[at]`` follows a word of intent that is the writer's."""
    before = clause[:at]
    for word in net.intent_before:
        if word and before.endswith(word):
            prefix = before[: -len(word)]
            return not (prefix.endswith(_NOT_INTENT_BEFORE) and not prefix.endswith(("我真", "我也")))
    return False


# ---------------------------------------------------------------------------------------- verdict


@dataclass(frozen=True, slots=True)
class Policy:
    """How the parts of the layer are combined (thresholds from the model, the gate from the rules)."""

    crisis_at: float | None = None
    distress_at: float | None = None
    #: the model counts only with a word of ``model_needs`` ...
    gate: bool = True
    #: ... unless it is at least this sure
    alone_at: float | None = None
    #: whether the safety net counts
    net: bool = True
    #: whether the cue lists, patterns and distress cues count (off: the model alone, for measuring it)
    rules: bool = True
    #: a cue or the net is overruled when the model's crisis probability is below this
    veto_below: float | None = None

    @classmethod
    def of(cls, rules: CrisisRules) -> Policy:
        model = rules.model
        return cls(
            crisis_at=model.crisis_at if model is not None else None,
            distress_at=model.distress_at if model is not None else None,
            gate=bool(rules.model_needs),
            alone_at=rules.model_alone_at,
            veto_below=model.veto_below if model is not None else None,
        )


def combine(reading: Reading, policy: Policy) -> Signal:
    """A cue or the safety net is a crisis; else the model decides (asked only about messages with a word
    of ``model_needs`` when the gate is on, unless it is at least ``alone_at`` sure); distress by a cue or
    the model. Pure."""
    cue = (reading.cue or (reading.net if policy.net else None)) if policy.rules else None
    distress = reading.distress if policy.rules else None
    bereaved = reading.bereaved if policy.rules else None
    scores = reading.scores
    if cue is not None and scores is not None and policy.veto_below is not None and scores.crisis < policy.veto_below:
        cue = None  # the model, trained on every author, is sure this is not a crisis
    model_crisis = None
    if cue is None and scores is not None and policy.crisis_at is not None:
        gated = policy.gate and not reading.needed and (policy.alone_at is None or scores.crisis < policy.alone_at)
        if not gated and scores.crisis >= policy.crisis_at:
            cue = f"model:{scores.crisis:.2f}"
            model_crisis = scores.crisis
        # distress is not gated: despair without a word of dying is what distress is
        elif policy.distress_at is not None and scores.despair >= policy.distress_at and distress is None:
            distress = f"model:{scores.despair:.2f}"
    bereaved = bereaved if cue is None else None  # the crisis reply wins
    return Signal(
        crisis=cue is not None,
        distress=distress is not None or bereaved is not None,
        region=reading.region,
        also=reading.also,
        cue=cue or distress or bereaved,
        someone_else=cue is not None and cue == reading.cue and reading.someone_else,
        bereaved=bereaved is not None,
        model_crisis=model_crisis,
    )


# ------------------------------------------------------------------------------------- who is at risk

#: Other people a reader may fear for (Simplified, as normalised; 佢 is Cantonese for he/she).
_OTHER_PERSON = (
    r"(?<![a-z])ta(?:们)?(?![a-z])|[他她佢](?:们|哋)?|男朋友|女朋友|朋友|老公|老婆|丈夫|妻子|男友|女友|对象|"
    r"爸妈|爸爸|妈妈|老爸|老妈|父亲|母亲|父母|爸|妈|儿子|女儿|孩子|小孩|哥哥|姐姐|弟弟|妹妹|哥|姐|弟|妹|"
    r"同事|同学|室友|闺蜜|兄弟|老豆|老母|阿妈|阿爸|家人|亲戚|舅舅|叔叔|阿姨|"
    r"个仔|个女|个囡|囡囡|爷爷|奶奶|外婆|外公"
)
#: The reader as the subject (我的 / 我们 / 我家 are not the reader alone).
_SELF = r"我(?!的|们|哋|家)|自己|本人|俺"
#: A person followed by 的 is a possessor (我妈的安眠药), not the subject.
_PERSONS = regexes.lazy(f"(?P<other>{_OTHER_PERSON})(?!的|生日)|(?P<self>{_SELF})")
#: Words before a person that make them an object, not the one who speaks of dying: 对不起爸妈, 为了孩子,
#: 跟我妈说, 带着孩子; before the reader: 威胁我, 跟我说 (the other person is still the subject).
_AS_OBJECT = regexes.lazy(
    r"(?:对不起|对唔住|为了|舍不得|连累|拖累|告诉|跟|和|同|给|俾|让|替|对|把|被|帮|陪|叫|问|带着|带|"
    r"威胁|恐吓|吓唬|骂|求|逼|打给|找)(?:[一二两三四五六七八九十几]个|这个|那个)?$"
)
#: What names no subject: an oath (我他妈的想死) and a time clause (我想在他们来之前...).
_NOT_A_SUBJECT = regexes.lazy(r"他妈的?|特么|tmd|在[^在]{1,10}?(?:之前|以前|之后|以后|的时候)")
#: A clause that goes on with the previous one's subject: "我老公欠了网贷 说不想活了".
_CONTINUES = regexes.lazy(
    r"(?:昨天|昨晚|今天|今晚|刚才|刚刚|前几天|最近|这几天)?(?:还|又|也|一直|天天|总是|整天|老是)?(?:说|讲|话|留|发)"
)


def last_person(text: str) -> str | None:
    """Who is the last subject named in ``text`` (compact, Simplified): "other", "self" or None. A person
    after a word that makes them an object (跟我妈, 威胁我), a possessor (我妈的) and anyone named in an
    oath or a time clause (我他妈的, 在他们来之前) is not a subject."""
    text = _NOT_A_SUBJECT.sub("|", text)
    found = None
    for match in _PERSONS.finditer(text):
        if _AS_OBJECT.search(text[max(0, match.start() - 5) : match.start()]):
            continue
        found = "other" if match["other"] is not None else "self"
    return found


#: Before a cue of relief (解脱, 轻松): the people named are the ones relieved by the reader's absence
#: ("我不在了他们就解脱了"), not the ones at risk.
_RELIEVED = regexes.lazy(r"(?:就|也|都|会|就会|也会|都会)$")
#: A cue that itself names the reader (没有我会更好; not the 我 of 自我了断) or speaks to someone (不能陪你).
_READER_IN_CUE = regexes.lazy(r"(?<!自)我|你")
#: Someone's words about themself (男朋友说他欠了太多钱): a clause without a subject after it goes on with
#: their words (..., 不想活了). Not "老公说要离婚, 不想活了", whose second clause may be the reader's.
_SAYING = regexes.lazy(r"(?:说|讲|话|写|留言|发消息|发短信|发微信|告诉我|跟我讲)(?:他|她|佢)")


def about_someone_else(clauses: Sequence[str], cue_at: Callable[[str], tuple[int, int] | None]) -> bool:
    """Whether the crisis cue speaks of someone other than the reader: in every clause where the cue is
    found, the last person named before it (or, when the clause goes on with 说 / 也 ..., in the clause
    before) is someone else. ``cue_at`` gives where the cue is in a clause (start, end; None: not there).
    The reader, whoever is named: a cue that itself says 我 or speaks to 你 (没有我会更好, 妈妈不能陪你长大了:
    the reader writes as the parent), and others relieved (他们就解脱了). Pure; doubt means the reader."""
    found = False
    for i, clause in enumerate(clauses):
        span = cue_at(clause)
        if span is None:
            continue
        start, end = span
        if _READER_IN_CUE.search(clause, start, end):
            return False
        if clause.startswith(("解脱", "轻松"), start) and _RELIEVED.search(clause[:start]):
            return False
        person = last_person(clause[:start])
        if person is None and i > 0:
            before = clauses[i - 1]
            if _CONTINUES.match(clause) or (_SAYING.search(before) and last_person(before) == "other"):
                person = last_person(before)
        if person != "other":
            return False
        found = True
    return found


# ---------------------------------------------------------------------------------------- detector


@dataclass(frozen=True, slots=True)
class Found:
    """A crisis cue of the rules: its label ("direct:不想活", "pattern:…", "pinyin:…", "homophone:…"), where
    it matched in the compact text read, and what finds it again in one clause (the cue text or the
    compiled pattern that matched; pinyin and homophones are not located)."""

    label: str
    span: tuple[int, int] | None = None
    text: str | None = None
    pattern: re.Pattern[str] | None = None

    def locate(self, clause: str) -> tuple[int, int] | None:
        """Where the cue is in ``clause`` (start, end), None when it is not there (or not located)."""
        if self.pattern is not None:
            match = self.pattern.search(clause)
            return match.span() if match else None
        if self.text:
            at = clause.find(self.text)
            return (at, at + len(self.text)) if at >= 0 else None
        return None


@dataclass
class _Compiled:
    cues: list[tuple[str, str]] = field(default_factory=list)  # (kind, compact cue)
    #: ``patterns`` (compiled by :func:`faq.regexes.compiled` when a message first lets one through its screen)
    patterns: list[Source] = field(default_factory=list)
    #: the phrases of hyperbole and others' threats as one regex (None: none), compiled by
    #: :func:`faq.regexes.compiled` when a clause first needs it (most first messages do not: ~0.02 s)
    not_crisis: Source | None = None
    distress: list[str] = field(default_factory=list)
    distress_patterns: list[Source] = field(default_factory=list)  # (as ``patterns``)
    #: ``bereaved_patterns`` as one pattern (None: none)
    bereaved: re.Pattern[str] | None = None
    whole_pinyin: dict[str, str] = field(default_factory=dict)  # short fuzzy key -> cue
    embedded_pinyin: dict[str, str] = field(default_factory=dict)  # long fuzzy key -> cue
    #: first three (fuzzy) syllables -> [(all syllables, cue)]
    homophones: dict[tuple[str, ...], list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)
    #: two (fuzzy) syllables of a two-character cue -> cue (counted after a word of intent only)
    homophones2: dict[tuple[str, str], str] = field(default_factory=dict)
    #: a text without Latin letters read as one stand-in per character (its reading's, when the reading is
    #: one of ``homophones``' keys' syllables; else "\\0"), and the keys as such stand-ins: one search tells
    #: whether the homophone scan can find anything (most messages: it cannot)
    homophone_sounds: TranslationTable | None = None
    homophone_keys: re.Pattern[str] | None = None
    region_words: dict[str, list[str]] = field(default_factory=dict)
    #: per region, one pattern of its words (found in one pass over the text)
    region_patterns: dict[str, re.Pattern[str]] = field(default_factory=dict)
    #: which cues, patterns, distress cues and distress patterns can occur in a text, by its characters
    cue_screen: Screen = field(default_factory=lambda: Screen({}, ()))
    pattern_screen: Screen = field(default_factory=lambda: Screen({}, ()))
    distress_screen: Screen = field(default_factory=lambda: Screen({}, ()))
    distress_pattern_screen: Screen = field(default_factory=lambda: Screen({}, ()))
    #: sets of characters of which every blanked phrase holds one each (empty: always run the substitution)
    not_crisis_needs: tuple[frozenset[str], ...] = ()
    #: which alternatives of ``not_crisis`` (but those it always tries) can occur in a clause, by its
    #: characters; when none can, ``not_crisis_always`` (those alone, in their order; None: none) blanks the
    #: same phrases (most clauses: no phrase of hyperbole can occur in them)
    not_crisis_screen: Screen | None = None
    not_crisis_always: re.Pattern[str] | None = None


#: A group referred to by its number (or name) in a regex: its alternatives are not run apart then.
_NUMBERED_GROUP = regexes.lazy(r"\\[1-9]|\(\?P=|\(\?\(")


def _compact(text: str) -> str:
    """No spaces, and 著 read as 着 (OpenCC keeps 著, which Traditional writers use for 活著, 睡不著)."""
    return text.replace(" ", "").replace("著", "着")


class CrisisDetector:
    """Applies :class:`CrisisRules` to messages. Built once per knowledge base; :meth:`detect` is pure."""

    def __init__(self, rules: CrisisRules) -> None:
        self.rules = rules
        c = _Compiled()
        for kind in CUE_KINDS:
            for cue in rules.cues.get(kind, ()):
                compact = _compact(cue)
                if not compact:
                    continue
                c.cues.append((kind, compact))
                if not _HAN.search(compact):
                    continue
                # Homophones: the usual reading of each character, as the message's characters are read
                # (every reading would let a rare one match: 活 is also read guo, 不想再过 ~ 不想再活).
                usual = tuple(_reading(ch) for ch in compact)
                if len(usual) >= MIN_HOMOPHONE_SYLLABLES and "|" not in usual:
                    c.homophones.setdefault(usual[:MIN_HOMOPHONE_SYLLABLES], []).append((usual, compact))
                elif len(usual) == 2 and "|" not in usual and _pairs_homophones(kind, compact):
                    c.homophones2.setdefault((usual[0], usual[1]), compact)
                for syllables in _syllable_readings(compact):
                    key = _fuzzy("".join(syllables))
                    if len(key) >= MIN_EMBEDDED_PINYIN:
                        c.embedded_pinyin.setdefault(key, compact)
                    elif len(syllables) >= 2:
                        c.whole_pinyin.setdefault(key, compact)

        if c.homophones:
            key_syllables = sorted({syllable for key in c.homophones for syllable in key})
            stand_in = {syllable: chr(_STAND_IN_BASE + i) for i, syllable in enumerate(key_syllables)}
            if _STAND_IN_BASE + len(key_syllables) < 0xF8FF:
                c.homophone_sounds = TranslationTable(partial(_stand_in_of, stand_in))
                c.homophone_keys = re.compile(
                    "|".join(sorted(re.escape("".join(map(stand_in.__getitem__, key))) for key in c.homophones))
                )
        c.patterns = [Source(p) for p in rules.patterns]
        # A hyperbole ending in 死 is not hyperbole when the writer is its object (饿死自己, 淹死我自己).
        negatives = [
            re.escape(_compact(p)) + ("(?!我?自己)" if _compact(p).endswith("死") else "")
            for p in sorted(rules.not_crisis, key=len, reverse=True)
            if p
        ]
        negatives += [f"(?:{p})" for p in rules.not_crisis_patterns]
        c.not_crisis = Source("|".join(negatives)) if negatives else None
        if c.not_crisis is not None and "(?P<" in c.not_crisis.pattern:
            re.compile(c.not_crisis.pattern)  # two parts naming a group alike: an error now, not at a message
        screened_negatives = (
            [Source(n) for n in negatives] if negatives and not _NUMBERED_GROUP.search("".join(negatives)) else []
        )
        c.distress_patterns = [Source(p) for p in rules.distress_patterns]
        # every pattern screened below: their screens read from the cache (or the shipped analysis) at once
        joined = [c.not_crisis] if c.not_crisis is not None else []
        screens.prepare([*c.patterns, *c.distress_patterns, *screened_negatives, *joined])
        if screened_negatives:
            screen = Screen.of_patterns(screened_negatives)
            c.not_crisis_screen = replace(screen, always=())
            always = [negatives[i] for i in screen.always]
            c.not_crisis_always = re.compile("|".join(always)) if always else None
        c.distress = [_compact(d) for d in rules.distress if _compact(d)]
        c.bereaved = _any(rules.bereaved_patterns)
        c.region_words = {
            region: [_compact(w) for w in words] for region, words in rules.region_words.items()
        }
        c.region_patterns = {
            region: re.compile("|".join(map(re.escape, words))) for region, words in c.region_words.items() if words
        }
        c.cue_screen = Screen.of_texts([cue for _, cue in c.cues])
        c.pattern_screen = Screen.of_patterns(c.patterns)
        c.distress_screen = Screen.of_texts(c.distress)
        c.distress_pattern_screen = Screen.of_patterns(c.distress_patterns)
        c.not_crisis_needs = required_sets(c.not_crisis) if c.not_crisis is not None else ()
        self._c = c
        self._net = CompiledNet.build(rules.safety_net) if rules.safety_net is not None else None
        self._offer_withheld = _any(rules.offer_withheld)
        self._policy = (rules, Policy.of(rules))

    # ---------------------------------------------------------------------------------------- public

    def read(self, message: str | bytes | None, *, always_score: bool = False) -> Reading:
        """Every part of the layer on the whole message (up to :data:`SCAN_CHARS` characters), before they
        are combined by :meth:`decide` (kept apart for the cross-author evaluation). The model is asked
        only when no cue fired, unless ``always_score``."""
        return self._read(message, always_score)[0]

    def _read(
        self, message: str | bytes | None, always_score: bool = False
    ) -> tuple[Reading, tuple[str, list[str], list[str]] | None]:
        """:meth:`read`, and what it read: the normalised text, its clauses (compact) and the clauses with
        hyperbole blanked out (None for an empty text)."""
        raw = safe_text(message, limit=SCAN_CHARS)
        text = normalize(raw, limit=SCAN_CHARS)
        region, also = self.region(raw, text)
        if not text:
            return Reading(region, also), None
        # Hyperbole is blanked clause by clause: 好想死,撑不住 is not the 死撑 of hyperbole.
        clauses = [_compact(clause) for clause in text.split(" ")]
        cleared_clauses = self._cleared(clauses)
        cleared = "".join(cleared_clauses)
        chars = set(cleared)
        found = self._crisis_cue(cleared, text, chars)
        cue = found.label if found is not None else None
        net = None
        if cue is None and self._net is not None:
            net = safety_net_cue(self._net, " ".join(cleared_clauses), " ".join(clauses))
        needs = self.rules.model_needs
        model = self.rules.model
        reading = Reading(
            region,
            also,
            cue=cue,
            someone_else=found is not None and about_someone_else(cleared_clauses, found.locate),
            net=net,
            distress=self._distress_cue(cleared, chars),
            bereaved=self._bereaved(clauses),
            needed=not needs or any(w in cleared for w in needs),
            scores=(
                model.scores(" ".join(cleared_clauses))
                if model is not None and (always_score or model.veto_below is not None or (cue is None and net is None))
                else None
            ),
        )
        return reading, (text, clauses, cleared_clauses)

    def _clause_crisis(self, clause: str, compact: str, cleared: str, reading: Reading) -> bool:
        """Whether one clause of a message read by :meth:`_read` (normalised: ``clause``; without spaces:
        ``compact``; with hyperbole blanked out: ``cleared``) is a crisis on its own: what ``detect(clause)``
        says, from the pieces the message's reading made of it. A crisis depends only on the cues, the
        safety net and the model (not on the region, distress or who is at risk), and a clause that
        normalising would change is read again as a message."""
        if normalize(clause, limit=SCAN_CHARS) != clause:
            return self.decide(self.read(clause)).crisis
        found = self._crisis_cue(cleared, clause, set(cleared))
        cue = found.label if found is not None else None
        net = safety_net_cue(self._net, cleared, compact) if cue is None and self._net is not None else None
        needs = self.rules.model_needs
        model = self.rules.model
        alone = Reading(
            reading.region,
            reading.also,
            cue=cue,
            net=net,
            needed=not needs or any(w in cleared for w in needs),
            scores=(
                model.scores(cleared)
                if model is not None and (model.veto_below is not None or (cue is None and net is None))
                else None
            ),
        )
        return self.decide(alone).crisis

    def withholds_offer(self, normalized: str) -> bool:
        """Whether a crisis message (normalised) speaks of the reader's own death or leaving as the time or
        condition of what it asks (``crisis.offer_withheld``): its crisis reply's button then opens
        ``offer_intent``, never the question asked."""
        pattern = self._offer_withheld
        return pattern is not None and pattern.search(_compact(normalized)) is not None

    def doubted(self, signal: Signal, message: str | bytes | None) -> Signal | None:
        """The distress reading to try instead of a crisis the model alone found under ``model_question_at`` in a
        message (raw or normalised) with no word of ``model_question_unless``; None for any other signal. The
        engine keeps it only when the message asks an in-scope question the matcher answers clearly: an everyday
        question that the model, reading its first-person story, took for despair (on cross-validation no crisis
        of that kind scored under the threshold). The help line still comes first (distress), never nothing."""
        at = self.rules.model_question_at
        score = signal.model_crisis
        if at is None or score is None or not signal.crisis or score >= at:
            return None
        text = _compact(normalize(safe_text(message, limit=SCAN_CHARS), limit=SCAN_CHARS))
        if any(word in text for word in self.rules.model_question_unless):
            return None
        return replace(signal, crisis=False, distress=True, someone_else=False, cue=f"doubted-{signal.cue}", clauses=())

    def decide(self, reading: Reading) -> Signal:
        """The layer's verdict on a reading (see :func:`combine`)."""
        rules, policy = self._policy
        if rules is not self.rules:  # (the rules are immutable: their policy is made once)
            rules, policy = self._policy = (self.rules, Policy.of(self.rules))
        return combine(reading, policy)

    def detect(self, message: str | bytes | None) -> Signal:
        """Read the whole message (up to :data:`SCAN_CHARS` characters). A crisis also says which of its
        clauses is a crisis on its own (:attr:`Signal.clauses`), from the same reading: a message of one
        clause is its own verdict; each clause of a longer one is judged from the pieces the reading made
        of it (its cues, net and model), not read again."""
        reading, read = self._read(message)
        signal = self.decide(reading)
        if not signal.crisis or read is None:
            return signal
        text, compact, cleared = read
        parts = text.split(" ")
        if len(parts) == 1 and normalize(text, limit=SCAN_CHARS) == text:
            verdicts: tuple[tuple[str, bool], ...] = ((text, True),)
        else:
            verdicts = tuple(
                (part, self._clause_crisis(part, c, k, reading)) for part, c, k in zip(parts, compact, cleared, strict=True)
            )
        return replace(signal, clauses=verdicts)

    def region(self, raw: str, normalized: str | None = None) -> tuple[Region, Region | None]:
        """The reader's region, and a second region whose line is added when the first is a guess."""
        text = _compact(normalized if normalized is not None else normalize(raw, limit=SCAN_CHARS))

        def says(key: str) -> bool:  # one of the key's words is in the text
            pattern = self._c.region_patterns.get(key)
            return pattern is not None and pattern.search(text) is not None

        if says(Region.HONG_KONG):
            return Region.HONG_KONG, None
        if says(Region.TAIWAN):
            return Region.TAIWAN, None
        nfkc = unicodedata.normalize("NFKC", raw)
        traditional = is_traditional(nfkc[:600]) or (len(nfkc) > 600 and is_traditional(nfkc))
        mainland = says(Region.MAINLAND)
        if says("cantonese"):
            # Hong Kong writes Cantonese in Traditional characters, Guangdong mostly in Simplified.
            sample = nfkc[:SCAN_CHARS]
            if traditional or to_simplified(sample) != sample:
                return Region.HONG_KONG, None
            if to_traditional(sample) == sample:  # no script evidence either way
                return Region.HONG_KONG, None if mainland else Region.MAINLAND
            return Region.MAINLAND, None if mainland else Region.HONG_KONG
        if mainland:
            return Region.MAINLAND, None
        if traditional:
            return Region.TAIWAN, Region.HONG_KONG
        return Region.MAINLAND, None

    def model_text(self, message: str) -> str:
        """What the model reads: the normalised message, each clause with hyperbole blanked out."""
        text = normalize(safe_text(message, limit=SCAN_CHARS), limit=SCAN_CHARS)
        return " ".join(self._cleared([_compact(clause) for clause in text.split(" ")]))

    def _cleared(self, clauses: list[str]) -> list[str]:
        """The clauses (compact) with hyperbole and others' threats blanked, and an old reader's own death
        when the message asks who repays after it (:func:`set_aside_natural_death`)."""
        cleared = [self._clear_negatives(clause) for clause in clauses]
        return set_aside_natural_death(self.rules.old_age_inheritance, clauses, cleared)

    @property
    def distress_patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(regexes.compiled(p.pattern) for p in self._c.distress_patterns)

    def help_for(self, region: Region) -> RegionHelp:
        return self.rules.help.get(region) or self.rules.help[Region.MAINLAND]

    # --------------------------------------------------------------------------------------- helpers

    def _clear_negatives(self, compact: str) -> str:
        """The text (without spaces) with hyperbole and others' threats blanked out (one '|' each, so
        that nothing joins across them)."""
        c = self._c
        if c.not_crisis is None:
            return compact
        for chars in c.not_crisis_needs:
            if chars.isdisjoint(compact):
                return compact
        if c.not_crisis_screen is not None and not c.not_crisis_screen.candidates(set(compact)):
            # None of the alternatives tried only where their characters are can match anywhere in the clause:
            # at every position the first alternative that matches is one of the others (in their order).
            return compact if c.not_crisis_always is None else c.not_crisis_always.sub("|", compact)
        return regexes.compiled(c.not_crisis.pattern).sub("|", compact)

    def _crisis_cue(self, cleared: str, spaced: str, chars: set[str] | None = None) -> Found | None:
        """The first crisis cue in ``cleared`` (the compact text without hyperbole) and where it matched;
        ``spaced`` (the normalised text) is read for pinyin words. ``chars``: the characters of ``cleared``
        (only the cues and patterns that can start with one of them are tried, in their order)."""
        c = self._c
        chars = set(cleared) if chars is None else chars
        for i in c.cue_screen.candidates(chars):
            kind, cue = c.cues[i]
            at = cleared.find(cue)
            if at >= 0:
                return Found(f"{kind}:{cue}", (at, at + len(cue)), text=cue)
        for i in c.pattern_screen.candidates(chars):
            pattern = regexes.compiled(c.patterns[i].pattern)
            match = pattern.search(cleared)
            if match:
                return Found(f"pattern:{pattern.pattern}", match.span(), pattern=pattern)
        label = self._pinyin_cue(cleared, spaced)
        return Found(label) if label is not None else None

    def _pinyin_cue(self, cleared: str, text: str) -> str | None:
        c = self._c
        if c.whole_pinyin or c.embedded_pinyin:
            for run in _LATIN_RUN.findall(text):
                words = run.split(" ")
                joined = _fuzzy("".join(words))
                for key, cue in c.embedded_pinyin.items():
                    if key in joined:
                        return f"pinyin:{cue}"
                # Short keys: the whole run (but for a pronoun and particles), or consecutive whole words
                # ("woxiangsi", "wo xiang si", "zi sha").
                for around in _PINYIN_AROUND:
                    core = around.match(joined)
                    if core and core.group(1) in c.whole_pinyin:
                        return f"pinyin:{c.whole_pinyin[core.group(1)]}"
                for start in range(len(words)):
                    piece = ""
                    for end, word in enumerate(words[start : start + 4], start + 1):
                        piece += word
                        short = c.whole_pinyin.get(_fuzzy(piece))
                        if short and not (end < len(words) and words[end] in _PINYIN_OBJECTS):
                            return f"pinyin:{short}"
        if c.homophones and _HAN.search(cleared):
            # Whether the scans below can find anything, without reading the text token by token: a text
            # without Latin letters is one token per character, so a key (the readings of
            # MIN_HOMOPHONE_SYLLABLES consecutive tokens) is three consecutive characters' stand-ins; a word of
            # intent (one character) is in the text or not.
            sounds, keys = c.homophone_sounds, c.homophone_keys
            keyed = (
                sounds is None or keys is None or _LATIN_LETTER.search(cleared) is not None
                or keys.search(cleared.translate(sounds)) is not None
            )
            intent = not _INTENT_BEFORE.isdisjoint(cleared)
            if not (keyed or intent):
                return None
            tokens = _TOKEN.findall(cleared)
            readings = list(map(_reading, tokens))
            get = c.homophones.get
            # the keys: the readings of MIN_HOMOPHONE_SYLLABLES consecutive tokens (looked for in one pass in C
            # first: most messages have none of them)
            starts = [readings[k:] for k in range(MIN_HOMOPHONE_SYLLABLES)]
            if keyed and not c.homophones.keys().isdisjoint(zip(*starts, strict=False)):
                for i, first in enumerate(zip(*starts, strict=False)):
                    for syllables, cue in get(first, ()):
                        if tuple(readings[i : i + len(syllables)]) == syllables and (
                            "".join(tokens[i : i + len(syllables)]) not in HOMOPHONE_WORDS
                        ):
                            return f"homophone:{cue}"
            # Two-syllable cues (自杀, 跳楼, 轻生) typed with homophones count right after a word of intent
            # (想紫砂, 要跳娄, 想轻声): alone, two syllables are too often another word.
            if intent:
                last = len(readings) - 1
                for before, token in enumerate(tokens):
                    if token in _INTENT_BEFORE and before + 1 < last:
                        cue2 = c.homophones2.get((readings[before + 1], readings[before + 2]))
                        if cue2:
                            return f"homophone:{cue2}"
        return None

    def _bereaved(self, clauses: Sequence[str]) -> str | None:
        """``bereaved:<what matched>`` when a clause (before hyperbole is blanked) says someone close died by
        suicide."""
        pattern = self._c.bereaved
        if pattern is None:
            return None
        for clause in clauses:
            match = pattern.search(clause)
            if match:
                return f"bereaved:{match.group(0)}"
        return None

    def _distress_cue(self, cleared: str, chars: set[str] | None = None) -> str | None:
        c = self._c
        chars = set(cleared) if chars is None else chars
        for i in c.distress_screen.candidates(chars):
            if c.distress[i] in cleared:
                return f"distress:{c.distress[i]}"
        for i in c.distress_pattern_screen.candidates(chars):
            source = c.distress_patterns[i].pattern
            if regexes.compiled(source).search(cleared):
                return f"distress:{source}"
        return None


def normalize_cues(cues: Iterable[str]) -> tuple[str, ...]:
    """Cue texts as the detector compares them (Simplified, lower case, no spaces)."""
    return tuple(c for c in (_compact(normalize(cue, limit=SCAN_CHARS)) for cue in cues) if c)


# ------------------------------------------------------------------------------------------ figures


@dataclass(frozen=True, slots=True)
class Figures:
    """How a detector does on a labelled set: crisis recall, distress recognised, false alarms."""

    crisis_total: int
    crisis_found: int
    distress_total: int
    distress_found: int  # recognised as distress or crisis
    negative_total: int
    false_alarms: int  # negatives read as crisis
    negative_distress: int  # negatives read as distress (a warm sentence added; reported, not a goal)
    missed: tuple[str, ...] = ()
    alarms: tuple[str, ...] = ()
    #: distress messages read as neither distress nor crisis
    distress_missed: tuple[str, ...] = ()
    #: messages about someone else at risk (``someone_else``), and those read as a crisis about them
    someone_else_total: int = 0
    someone_else_found: int = 0
    someone_else_missed: tuple[str, ...] = ()
    #: crisis messages (the reader at risk) read as a crisis about someone else
    reader_as_someone_else: tuple[str, ...] = ()

    @staticmethod
    def _rate(part: int, whole: int) -> float:
        return part / whole if whole else 0.0

    @property
    def recall(self) -> float:
        return self._rate(self.crisis_found, self.crisis_total)

    @property
    def distress_recall(self) -> float:
        return self._rate(self.distress_found, self.distress_total)

    @property
    def false_alarm_rate(self) -> float:
        return self._rate(self.false_alarms, self.negative_total)

    @property
    def someone_else_recall(self) -> float:
        return self._rate(self.someone_else_found, self.someone_else_total)

    def render(self) -> str:
        lines = [
            f"crisis recall        {self.recall:6.1%}  ({self.crisis_found}/{self.crisis_total})",
            f"distress recognised  {self.distress_recall:6.1%}  ({self.distress_found}/{self.distress_total})",
            f"false alarms         {self.false_alarm_rate:6.1%}  ({self.false_alarms}/{self.negative_total})",
            f"negatives as distress        ({self.negative_distress}/{self.negative_total})",
            f"crisis read as someone else's        ({len(self.reader_as_someone_else)}/{self.crisis_found})",
        ]
        if self.someone_else_total:
            lines.append(
                f"someone else at risk {self.someone_else_recall:6.1%}  ({self.someone_else_found}/"
                f"{self.someone_else_total}: a crisis about someone else)"
            )
        lines += [f"  missed: {text[:60]}" for text in self.missed]
        lines += [f"  someone else missed: {text[:60]}" for text in self.someone_else_missed]
        lines += [f"  read as someone else's: {text[:60]}" for text in self.reader_as_someone_else]
        lines += [f"  distress missed: {text[:60]}" for text in self.distress_missed]
        lines += [f"  false alarm: {text[:60]}" for text in self.alarms]
        return "\n".join(lines)


def evaluate(
    detector: CrisisDetector,
    crisis: Iterable[str],
    distress: Iterable[str],
    negative: Iterable[str],
    someone_else: Iterable[str] = (),
) -> Figures:
    """Run the detector on labelled messages (e.g. tests/data/crisis_dev.yaml)."""
    labelled = (("crisis", crisis), ("distress", distress), ("negative", negative), ("someone_else", someone_else))
    return tally((text, label, detector.detect(text)) for label, texts in labelled for text in texts)


def tally(verdicts: Iterable[tuple[str, str, Signal]]) -> Figures:
    """The figures of (text, label, signal) verdicts; labels are crisis, distress, negative or someone_else
    (a crisis about someone the reader knows)."""
    verdicts = list(verdicts)
    others = [(t, s) for t, label, s in verdicts if label == "someone_else"]
    others_missed = tuple(t for t, s in others if not (s.crisis and s.someone_else))
    crisis = [t for t, label, _ in verdicts if label == "crisis"]
    missed = tuple(t for t, label, s in verdicts if label == "crisis" and not s.crisis)
    distress = [t for t, label, _ in verdicts if label == "distress"]
    distress_missed = tuple(t for t, label, s in verdicts if label == "distress" and not (s.crisis or s.distress))
    negative = [(t, s) for t, label, s in verdicts if label == "negative"]
    alarms = tuple(t for t, s in negative if s.crisis)
    return Figures(
        crisis_total=len(crisis),
        crisis_found=len(crisis) - len(missed),
        distress_total=len(distress),
        distress_found=len(distress) - len(distress_missed),
        negative_total=len(negative),
        false_alarms=len(alarms),
        negative_distress=sum(s.distress for _, s in negative),
        missed=missed,
        alarms=alarms,
        distress_missed=distress_missed,
        someone_else_total=len(others),
        someone_else_found=len(others) - len(others_missed),
        someone_else_missed=others_missed,
        reader_as_someone_else=tuple(t for t, label, s in verdicts if label == "crisis" and s.crisis and s.someone_else),
    )


# ------------------------------------------------------------------------------------------ training

DATA_DIR = Path(__file__).resolve().parent.parent / "tests" / "data"
#: The labelled crisis files the model is trained on, grouped by who wrote them (the cross-author
#: evaluation leaves one group out at a time). ``crisis_train_*.yaml`` are added as they exist. A new
#: held-out set joins here only after it has been measured once.
AUTHOR_FILES: dict[str, tuple[str, ...]] = {
    "dev": ("crisis_dev.yaml",),
    "holdout1": ("crisis_holdout.yaml",),
    "holdout3-4": ("crisis_holdout3.yaml", "crisis_holdout4.yaml"),
    "holdout5-8": ("crisis_holdout5.yaml", "crisis_holdout6.yaml", "crisis_holdout7.yaml", "crisis_holdout8.yaml"),
    # everyday questions only (a frozen copy of the KB's examples, see the file): in every fold's training
    "ordinary": ("crisis_ordinary.yaml",),
}
TRAIN_GLOB = "crisis_train_*.yaml"
#: Labels of the lists of a crisis file (``ordinary``: everyday debt questions, trained on as neither;
#: ``someone_else``: someone the reader knows is at risk, trained on as crisis).
LABELS = {"crisis": 2, "someone_else": 2, "distress": 1, "negative": 0, "ordinary": 0}
#: The lists measured (``ordinary`` is background).
MEASURED = ("crisis", "someone_else", "distress", "negative")


def author_files(data_dir: Path = DATA_DIR) -> dict[str, tuple[Path, ...]]:
    """The training files by author group (those that exist)."""
    groups = {name: tuple(data_dir / f for f in files) for name, files in AUTHOR_FILES.items()}
    for path in sorted(data_dir.glob(TRAIN_GLOB)):
        groups[path.stem.removeprefix("crisis_")] = (path,)
    return {name: tuple(p for p in paths if p.exists()) for name, paths in groups.items() if any(p.exists() for p in paths)}


def read_labelled(paths: Iterable[Path]) -> dict[str, list[str]]:
    """The lists of labelled crisis files, concatenated (duplicates kept once, first label wins)."""
    import yaml

    out: dict[str, list[str]] = {key: [] for key in LABELS}
    seen: set[str] = set()
    for path in paths:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key in LABELS:
            for text in doc.get(key) or ():
                if isinstance(text, str) and text.strip() and text not in seen:
                    seen.add(text)
                    out[key].append(text)
    return out


def training_set(detector: CrisisDetector, labelled: Mapping[str, Iterable[str]]) -> tuple[list[str], list[int]]:
    """Texts as the model reads them (normalised, hyperbole blanked) and labels 2 crisis, 1 distress,
    0 neither; ``ordinary`` questions are also trained on typed in pinyin (so that pinyin alone is not
    read as despair)."""
    texts: list[str] = []
    labels: list[int] = []
    for key, label in LABELS.items():
        group = list(labelled.get(key, ()))
        if key == "ordinary":
            # (training only: pypinyin itself, which reads whole sentences; see faq/pinyin.py)
            os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")
            from pypinyin import lazy_pinyin

            group += [" ".join(lazy_pinyin(q)) for q in group[::3]] + ["".join(lazy_pinyin(q)) for q in group[1::6]]
        for text in group:
            read = detector.model_text(text)
            texts.append(read)
            labels.append(label)
            if label == 0:
                # A message is scored window by window (the highest probability counts), so a long everyday
                # message is also trained on as each of its windows: none of them is despair. (Not for crisis
                # or distress: the despair of a long message is in one window, not in every one.)
                parts = [" ".join(window) for window in windows(read)]
                if len(parts) > 1:
                    texts += parts
                    labels += [label] * len(parts)
    return texts, labels


def train_detector(rules: CrisisRules, labelled: Mapping[str, Iterable[str]], settings: Settings) -> CrisisModel:
    """The model trained on ``labelled`` as the rules' detector reads it."""
    texts, labels = training_set(CrisisDetector(replace(rules, model=None)), labelled)
    return train(texts, labels, settings)


# ---------------------------------------------------------------------------------- cross-author figures


@dataclass(frozen=True, slots=True)
class Record:
    """One labelled message of a left-out group, read by the layer whose model did not see that group."""

    group: str
    label: str  # crisis, someone_else, distress, negative
    text: str
    reading: Reading


def out_of_group_readings(
    rules: CrisisRules, groups: Mapping[str, tuple[Path, ...]], settings: Settings
) -> list[Record]:
    """For each author group: the model trained on all the other groups, and every message of the group
    read by the rules and that model."""
    records: list[Record] = []
    for name, paths in groups.items():
        others = read_labelled([p for other, ps in groups.items() if other != name for p in ps])
        held = read_labelled(paths)
        if not any(held[label] for label in MEASURED):
            continue  # a file of everyday questions only: in every other fold's training
        others["ordinary"] += held["ordinary"]  # background negatives, in every fold (not measured here)
        model = train_detector(rules, others, settings)
        detector = CrisisDetector(replace(rules, model=model))
        for label in MEASURED:
            records += [Record(name, label, t, detector.read(t, always_score=True)) for t in held[label]]
    return records


def ordinary_questions(root: Path = DATA_DIR.parent.parent) -> dict[str, list[str]]:
    """Everyday questions written by other authors and never trained on (the matcher's dev sets, and the
    shared real-query dev set when present): how often the layer reads an ordinary question as despair."""
    import yaml

    out: dict[str, list[str]] = {}
    for path in (root / "tests" / "data" / "dev.yaml", root / "tests" / "data" / "dev2.yaml",
                 Path("/work/shared/data/real_queries_dev.yaml")):
        if path.exists():
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            items = doc.get("questions", []) if isinstance(doc, dict) else doc
            out[path.stem] = [q["text"] for q in items if isinstance(q, dict) and isinstance(q.get("text"), str)]
    return out


def figures_of(policy: Policy, records: Iterable[Record]) -> Figures:
    """The figures of the layer (the readings combined by ``policy``) on some records."""
    return tally((r.text, r.label, combine(r.reading, policy)) for r in records)


def crossval_table(policy: Policy, records: list[Record], ordinary: Mapping[str, list[Reading]]) -> str:
    """One line per left-out group, the pooled figures, and the ordinary questions read as crisis."""
    lines = [
        f"{'left out':<12} {'crisis recall':>20} {'distress recog.':>20} {'false alarms':>18} "
        f"{'someone else':>12} {'reader as else':>14}"
    ]
    groups = list(dict.fromkeys(r.group for r in records))
    for name in [*groups, "all"]:
        f = figures_of(policy, [r for r in records if name in ("all", r.group)])
        lines.append(
            f"{name:<12} {f.recall:>8.1%} ({f.crisis_found:>4}/{f.crisis_total:<4}) "
            f"{f.distress_recall:>8.1%} ({f.distress_found:>4}/{f.distress_total:<4}) "
            f"{f.false_alarm_rate:>6.1%} ({f.false_alarms:>3}/{f.negative_total:<4}) "
            f"{f.someone_else_found:>5}/{f.someone_else_total:<6} {len(f.reader_as_someone_else):>14}"
        )
    for name, readings in ordinary.items():
        signals = [combine(r, policy) for r in readings]
        lines.append(
            f"ordinary {name}: crisis {sum(s.crisis for s in signals)}/{len(signals)}, "
            f"distress {sum(s.distress and not s.crisis for s in signals)}/{len(signals)}"
        )
    return "\n".join(lines)


def sweep(records: list[Record], ordinary: Mapping[str, list[Reading]], base: Policy) -> str:
    """Pooled and worst-group figures for thresholds, the gate and the net (``crossval --sweep``)."""
    groups = list(dict.fromkeys(r.group for r in records))
    lines = ["gate net crisis_at distress_at | pooled recall distress FA | worst-group recall distress FA | ordinary"]
    for net in (True, False):
        gate = base.gate
        for crisis_at in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
            for distress_at in (0.5, 0.7, 0.85):
                policy = replace(base, gate=gate, net=net, crisis_at=crisis_at, distress_at=distress_at)
                pooled = figures_of(policy, records)
                per = [figures_of(policy, [r for r in records if r.group == g]) for g in groups]
                alarms = sum(combine(r, policy).crisis for rs in ordinary.values() for r in rs)
                lines.append(
                    f"{gate!s:<5} {net!s:<5} {crisis_at:.2f} {distress_at:.2f} | {pooled.recall:6.1%} "
                    f"{pooled.distress_recall:6.1%} {pooled.false_alarm_rate:5.1%} | "
                    f"{min(f.recall for f in per):6.1%} {min(f.distress_recall for f in per):6.1%} "
                    f"{max(f.false_alarm_rate for f in per):5.1%} | {alarms}"
                )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m faq.crisis [eval SET.yaml]``: the figures of a labelled set; ``python -m faq.crisis train``:
    retrain the model on every crisis training file and write it beside the KB; ``python -m faq.crisis
    crossval``: for each author group, train on the others and measure the whole layer on it; ``python -m
    faq.crisis everyday FILE...``: how many everyday messages get the crisis reply (from the model alone or a
    rule; ``-v`` lists them)."""
    import argparse

    from faq.kb import load_knowledge_base

    root = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(prog="python -m faq.crisis", description=main.__doc__)
    parser.add_argument("command", nargs="?", default="eval", choices=("eval", "train", "crossval", "everyday"))
    parser.add_argument("set", nargs="*", default=[str(root / "tests" / "data" / "crisis_dev.yaml")],
                        help="eval: one labelled crisis file; everyday: files of everyday messages")
    parser.add_argument("--kb", default=str(root / "intents.yaml"))
    parser.add_argument("--rules-only", action="store_true", help="evaluate without the model")
    parser.add_argument("--verbose", "-v", action="store_true", help="crossval: list what each group missed")
    parser.add_argument("--sweep", action="store_true", help="crossval: figures for other thresholds, gate, net")
    args = parser.parse_args(argv)
    if args.command in ("train", "crossval"):
        # The rules alone (the shipped model may be stale or of an older version): the knowledge base is read
        # from a copy without the model beside it. The settings are the code's (faq/crisis_model.py Settings).
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "intents.yaml"
            shutil.copyfile(args.kb, copy)
            kb = load_knowledge_base(copy)
        settings = Settings()
    else:
        kb = load_knowledge_base(args.kb)
    if args.command == "train":
        groups = author_files()
        labelled = read_labelled(p for paths in groups.values() for p in paths)
        model = train_detector(kb.crisis, labelled, settings)
        out = Path(args.kb).parent / MODEL_FILE
        model.save(out)
        sizes = {k: len(v) for k, v in labelled.items()}
        print(f"{out}: {len(model.vocabulary)} features from {', '.join(groups)}: {sizes}")
        return 0
    if args.command == "crossval":
        groups = author_files()
        records = out_of_group_readings(kb.crisis, groups, settings)
        everything = read_labelled(p for paths in groups.values() for p in paths)
        full = CrisisDetector(replace(kb.crisis, model=train_detector(kb.crisis, everything, settings)))
        ordinary = {name: [full.read(q, always_score=True) for q in qs] for name, qs in ordinary_questions().items()}
        policy = Policy.of(replace(kb.crisis, model=thresholds_only(settings)))
        if args.rules_only:
            policy = replace(policy, crisis_at=None)
        print(crossval_table(policy, records, ordinary))
        print("the model alone (no cue, net or gate):")
        print(crossval_table(replace(policy, rules=False, gate=False), records, ordinary))
        if args.sweep:
            print(sweep(records, ordinary, policy))
        if args.verbose:
            for name in dict.fromkeys(r.group for r in records):
                print(f"--- {name}\n" + figures_of(policy, [r for r in records if r.group == name]).render())
        return 0
    import yaml

    if args.command == "everyday":
        detector = CrisisDetector(replace(kb.crisis, model=None) if args.rules_only else kb.crisis)
        for path in args.set:
            texts = everyday_texts(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
            signals = [detector.detect(t) for t in texts]
            crisis = [(t, s.cue or "") for t, s in zip(texts, signals, strict=True) if s.crisis]
            alone = sum(cue.startswith("model:") for _, cue in crisis)
            print(f"{path}: {len(texts)} messages, crisis replies {len(crisis)} (the model alone {alone}, a rule "
                  f"{len(crisis) - alone}), distress only {sum(s.distress and not s.crisis for s in signals)}")
            if args.verbose:
                print("\n".join(f"  {cue[:32]:<32} {text[:60]}" for text, cue in crisis))
        return 0
    labelled = yaml.safe_load(Path(args.set[0]).read_text(encoding="utf-8"))
    rules = replace(kb.crisis, model=None) if args.rules_only else kb.crisis
    figures = evaluate(
        CrisisDetector(rules),
        labelled.get("crisis", ()),
        labelled.get("distress", ()),
        labelled.get("negative", ()),
        labelled.get("someone_else", ()),
    )
    print(figures.render())
    return 0


def everyday_texts(doc: object) -> list[str]:
    """The message texts of a file of everyday messages: a list of texts or of ``{text: ...}`` items, or a
    mapping with such a list under ``questions`` (the matcher's dev sets, the writers' training files)."""
    items = doc.get("questions", []) if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        return []
    texts = (item.get("text") if isinstance(item, dict) else item for item in items)
    return [t for t in texts if isinstance(t, str) and t.strip()]


def thresholds_only(settings: Settings) -> CrisisModel:
    """A model without features that carries the thresholds (``decide`` reads scores already computed)."""
    import numpy as np

    return CrisisModel(
        {}, np.zeros((0, 3), dtype=np.float32), np.zeros(3), settings.crisis_at, settings.distress_at, settings.veto_below
    )


if __name__ == "__main__":
    raise SystemExit(main())
