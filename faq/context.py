"""Per-chat conversation context: what the last turn was about, so that a follow-up is understood.

A :class:`Context` is an immutable value (the front end keeps one per chat: :class:`ContextStore` for the
Telegram bot, one variable for the console and ``faq ask --chat``). The engine reads it and returns the next
one (:meth:`faq.engine.Engine.converse`). It expires :data:`EXPIRY_SECONDS` after the last turn, except for
``crisis_until`` (the help line that ends every reply for a while after a crisis reply).

The functions here are pure: they classify a follow-up ("那20天呢", "那天星金融呢", "那我该怎么办") and
match a typed message against the buttons just offered.

>>> is_same_topic("还有别的办法吗")
True
>>> strip_followup_words("那20天呢")
'20天呢'
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from faq import regexes
from faq.reply import Suggestion

#: A conversation is remembered for 30 minutes after its last message.
EXPIRY_SECONDS = 30 * 60
#: After a crisis reply, every reply in that chat ends with a help line for this long.
CRISIS_FOOTER_SECONDS = 30 * 60
#: Chats remembered at once by a :class:`ContextStore` (least recently used out).
MAX_CHATS = 50_000
#: A typed message this similar to a button just offered (0-100, RapidFuzz) is that button.
OFFERED_MATCH = 72
#: Longer messages are new questions, never "same topic" follow-ups.
MAX_FOLLOWUP_CHARS = 14

# Words that open or close a follow-up without asking anything: "那", "那么", "如果", "要是" ... "呢".
_LEADING = regexes.lazy(r"^(?:那么|那要是|那如果|那|如果是?|要是|假如|换成|换了|改成|咁|噉)\s*")
_TRAILING = regexes.lazy(r"\s*(?:的话|会怎样|会怎么样|怎么样|呢|嘞|啦|咧|呀|啊|吗|嘛|咧|\?)+$")
# "Same topic" follow-ups: what now, anything else, is it true (Simplified; Cantonese after synonyms too).
_SAME_TOPIC = regexes.lazy(
    r"^(?:那|那么|所以|咁|噉)?\s*(?:我)?\s*(?:"
    r"(?:应该|该|要|能|可以)?(?:怎么办|咋办|怎么做|咋做|点算|点做|点算好|做什么|怎么处理)"
    r"|还有(?:别的|其他|其它|什么)?(?:办法|方法|招|路)?|别的办法|其他办法|有没有别的办法|还能怎么办"
    r"|(?:是|系)?(?:真的|真)(?:会|能)?(?:吗|嘛|㗎|的吗|的假的)?|真的假的|系咪真(?:㗎|的)?|是不是真的|靠谱吗|可信吗"
    r"|然后呢|接下来呢|接下来怎么办|之后呢|还有呢|具体呢|详细点|说详细点|展开说说"
    r")\s*(?:呢|啊|呀|吗|嘛|㗎|啦)*$"
)
_VERIFY = regexes.lazy(r"真|系咪|靠谱|可信")
_WHAT_NOW = regexes.lazy(r"怎么办|咋办|怎么做|咋做|点算|点做|做什么|怎么处理|接下来")


@dataclass(frozen=True, slots=True)
class Context:
    """What a chat's last turn was about (all optional; ``at`` is the time of the last turn, epoch seconds)."""

    intent: str | None = None
    days: int | None = None
    platform: str | None = None
    at: float = float("-inf")
    kind: str | None = None  # the last reply's kind ("answer", "stage", ...)
    #: A key for the full text last shown (intent + stage), so that it is not sent again word for word.
    shown: str | None = None
    #: The buttons offered under the last reply (a typed follow-up is matched against them first).
    offered: tuple[Suggestion, ...] = ()
    #: The stage block last shown (platform:min-max), so that it is not repeated under the next answer.
    stage_shown: str | None = None
    details_shown: bool = False
    traditional: bool = False
    variant: str | None = None  # "tw" / "hk" for readers of Traditional, else None
    #: The words the reader uses where Chinese has several (聯絡人 / 聯繫人), kept for the next replies.
    words: tuple[str, ...] = ()
    #: The reader of Traditional was told once that the hotlines and 征信 named are mainland China's.
    mainland_noted: bool = False
    #: A key of the last reply's first block (its text is never sent twice in a row).
    last_text: str | None = None
    crisis_until: float = 0.0
    #: The region whose help lines the crisis reply gave ("mainland", "hong_kong", "taiwan").
    crisis_region: str | None = None

    def alive(self, now: float) -> bool:
        return 0 <= now - self.at <= EXPIRY_SECONDS

    def in_crisis_window(self, now: float) -> bool:
        return now < self.crisis_until

    @property
    def has_topic(self) -> bool:
        return self.intent is not None or self.days is not None


def current(context: Context | None, now: float) -> Context | None:
    """The context if still alive; an expired one keeps only its crisis window (or is dropped)."""
    if context is None:
        return None
    if context.alive(now):
        return context
    if context.in_crisis_window(now):
        return Context(crisis_until=context.crisis_until, crisis_region=context.crisis_region, at=context.at)
    return None


def strip_followup_words(text: str) -> str:
    """The message without the words that only mark it as a follow-up ("那…呢", "如果…的话")."""
    text = text.strip()
    previous = None
    while previous != text:
        previous = text
        text = _LEADING.sub("", text).strip()
    return text


def rest_is_filler(text: str) -> bool:
    """True when nothing but follow-up filler is left ("那 呢", "如果 的话")."""
    text = _TRAILING.sub("", strip_followup_words(text)).strip()
    return not text


def is_same_topic(normalized: str) -> bool:
    """Short follow-ups that stay on the last topic: "那我该怎么办", "还有别的办法吗", "是真的吗"."""
    compact = normalized.replace(" ", "")
    return 0 < len(compact) <= MAX_FOLLOWUP_CHARS and bool(_SAME_TOPIC.match(compact))


def asks_if_true(normalized: str) -> bool:
    return bool(_VERIFY.search(normalized))


def asks_what_now(normalized: str) -> bool:
    return bool(_WHAT_NOW.search(normalized))


def match_offered(normalized: str, offered: Sequence[Suggestion], simplify: bool = True) -> str | None:
    """The intent of an offered button the typed message is (nearly) the same as, else None.

    Titles are compared without punctuation; a message that contains a whole button title, or is contained
    in one, counts when it is at least four characters long."""
    text = _compact(normalized)
    if len(text) < 3:
        return None
    best: tuple[float, str] | None = None
    for suggestion in offered:
        title = _compact(suggestion.title)
        if not title:
            continue
        score = fuzz.ratio(text, title)
        if len(text) >= 4 and (text in title or title in text):
            score = max(score, 90.0)
        if score >= OFFERED_MATCH and (best is None or score > best[0]):
            best = (score, suggestion.intent)
    return best[1] if best else None


_PUNCTUATION = regexes.lazy(r"[\s??!!,,。.、::;;\"“”'‘’()()]+")


def _compact(text: str) -> str:
    from faq.normalize import to_simplified

    return _PUNCTUATION.sub("", to_simplified(text).lower())


def after_reply(
    context: Context | None,
    *,
    now: float,
    kind: str,
    intent: str | None,
    days: int | None,
    platform: str | None,
    shown: str | None,
    stage_shown: str | None = None,
    offered: Sequence[Suggestion] = (),
    details_shown: bool,
    traditional: bool,
    variant: str | None,
    words: Sequence[str],
    crisis: bool,
    help_region: str | None = None,
    mainland_noted: bool = False,
    last_text: str | None = None,
) -> Context:
    """The context after a reply. A reply that was no answer (fallback, did-you-mean, greeting) keeps the
    topic, days and platform of the turn before, so that the user can go on from there."""
    base = context or Context()
    answered = kind in ("answer", "stage", "details", "crisis") and (intent is not None or days is not None)
    # Every field is set here: a new Context, not dataclasses.replace (which re-reads the fields, ~2x slower).
    return Context(
        intent=intent if answered else base.intent,
        days=days if days is not None else base.days,
        platform=platform if platform is not None else base.platform,
        at=now,
        kind=kind,
        shown=shown if shown is not None else (None if answered else base.shown),
        stage_shown=stage_shown,
        offered=tuple(offered),
        details_shown=details_shown,
        traditional=traditional,
        variant=variant,
        words=tuple(dict.fromkeys([*words, *base.words]))[:8],
        crisis_until=now + CRISIS_FOOTER_SECONDS if crisis else base.crisis_until,
        crisis_region=help_region if crisis else base.crisis_region,
        mainland_noted=mainland_noted,
        last_text=last_text,
    )


class ContextStore:
    """Contexts per chat, bounded (least recently used out); not thread-safe (one event loop uses it)."""

    def __init__(self, size: int = MAX_CHATS) -> None:
        self.size = size
        self._data: OrderedDict[Hashable, Context] = OrderedDict()

    def get(self, chat: Hashable, now: float) -> Context | None:
        context = current(self._data.get(chat), now)
        if context is None:
            self._data.pop(chat, None)
        else:
            self._data.move_to_end(chat)
        return context

    def set(self, chat: Hashable, context: Context) -> None:
        self._data[chat] = context
        self._data.move_to_end(chat)
        while len(self._data) > self.size:
            self._data.popitem(last=False)

    def peek(self, chat: Hashable) -> Context | None:
        """The context last set for ``chat`` as it is (expired or not), without touching the order."""
        return self._data.get(chat)

    def discard(self, chat: Hashable) -> None:
        self._data.pop(chat, None)

    def __len__(self) -> int:
        return len(self._data)
