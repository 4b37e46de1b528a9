"""Pure rendering: an engine :class:`~faq.reply.Reply` -> Telegram HTML chunks with inline keyboards, and the
callback data of the buttons (encode / decode).

Nothing here talks to Telegram. Every chunk fits Telegram's 4096-character limit (measured in UTF-16 code
units of the HTML source, which is never shorter than the parsed text, whether Telegram counts code points
or UTF-16 units), split at paragraph, then line, then character boundaries (code points: a surrogate pair is
never cut, though a multi-code-point emoji may be); the buttons go on the last chunk. No chunk is only
whitespace (Telegram refuses an empty message). A crisis reply's first part is always a message of its
own, sent first.

Callback data (Telegram allows 64 bytes):

- ``i:<s|t>:<intent_id>``: show an intent's answer (``s`` Simplified, ``t`` Traditional);
  ``h:<s|t>:<digest>`` when the id would not fit; both may end in ``:<days>:<platform>`` (either empty) so
  that the answer keeps the user's day count and platform;
- ``m:<s|t>:<intent_id>:<days>:<platform>``: the "详细说明" button (the details of that answer);
- ``f:<u|d|n>:<s|t>:<answer_id>``: 👍 / 👎 / "都不是" on an answer.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from faq.reply import Part, Reply, ReplyKind, Suggestion
from faq.usage import Feedback

MESSAGE_LIMIT = 4096
CALLBACK_LIMIT = 64
MAX_RELATED = 3
MAX_SUGGESTIONS = 5  # the fallback's situation buttons; "did you mean" offers 3
THUMBS_UP = "👍"
THUMBS_DOWN = "👎"

_FEEDBACK_CODES = {Feedback.UP: "u", Feedback.DOWN: "d", Feedback.NONE_OF_THESE: "n"}
_FEEDBACK_VALUES = {code: value for value, code in _FEEDBACK_CODES.items()}
_ANSWER_ID = re.compile(r"[0-9a-f]{1,40}")  # fullmatch: "$" would accept a trailing newline
_INTENT_ID = re.compile(r"[a-z][a-z0-9_]*")
_DAYS = re.compile(r"-?\d{1,5}")
_PLATFORM_ID = re.compile(r"[a-z][a-z0-9_]{0,30}")


# ------------------------------------------------------------------------------------------ callback data


@dataclass(frozen=True, slots=True)
class IntentPress:
    """A topic / related / suggestion button: ``intent`` or, for very long ids, their ``digest``."""

    intent: str | None
    digest: str | None
    traditional: bool
    days: int | None = None
    platform: str | None = None
    details: bool = False  # the "详细说明" button


@dataclass(frozen=True, slots=True)
class FeedbackPress:
    answer_id: str
    value: Feedback
    traditional: bool


def intent_digest(intent_id: str) -> str:
    return hashlib.blake2s(intent_id.encode(), digest_size=8).hexdigest()


def _situation(days: int | None, platform: str | None) -> str:
    if days is None and platform is None:
        return ""
    return f":{'' if days is None else max(-99_999, min(days, 99_999))}:{platform or ''}"


def encode_intent(
    intent_id: str, traditional: bool = False, days: int | None = None, platform: str | None = None
) -> str:
    script = "t" if traditional else "s"
    tail = _situation(days, platform)
    for data in (f"i:{script}:{intent_id}{tail}", f"h:{script}:{intent_digest(intent_id)}{tail}"):
        if len(data.encode()) <= CALLBACK_LIMIT:
            return data
    return f"h:{script}:{intent_digest(intent_id)}"


def encode_details(
    intent_id: str, traditional: bool = False, days: int | None = None, platform: str | None = None
) -> str | None:
    """The "详细说明" button's data, or None when it would not fit in 64 bytes."""
    script = "t" if traditional else "s"
    data = f"m:{script}:{intent_id}:{'' if days is None else days}:{platform or ''}"
    return data if len(data.encode()) <= CALLBACK_LIMIT else None


def encode_feedback(answer_id: str, value: Feedback, traditional: bool = False) -> str:
    data = f"f:{_FEEDBACK_CODES[value]}:{'t' if traditional else 's'}:{answer_id}"
    if len(data.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"answer id too long for callback data: {answer_id!r}")
    return data


def decode_callback(data: str | None) -> IntentPress | FeedbackPress | None:
    """The press a callback data string stands for, or None for anything unknown or malformed."""
    if not data or len(data) > CALLBACK_LIMIT:
        return None
    fields = data.split(":")
    if fields[0] in ("i", "h", "m") and len(fields) in (3, 5) and fields[1] in ("s", "t") and fields[2]:
        traditional = fields[1] == "t"
        days: int | None = None
        platform: str | None = None
        if len(fields) == 5:
            if fields[3] and not _DAYS.fullmatch(fields[3]):
                return None
            if fields[4] and not _PLATFORM_ID.fullmatch(fields[4]):
                return None
            days = int(fields[3]) if fields[3] else None
            platform = fields[4] or None
        elif fields[0] == "m":
            return None
        if fields[0] in ("i", "m"):
            if not _INTENT_ID.fullmatch(fields[2]):
                return None
            return IntentPress(fields[2], None, traditional, days, platform, details=fields[0] == "m")
        return IntentPress(None, fields[2], traditional, days, platform)
    if (
        fields[0] == "f"
        and len(fields) == 4
        and fields[1] in _FEEDBACK_VALUES
        and fields[2] in ("s", "t")
        and _ANSWER_ID.fullmatch(fields[3])
    ):
        return FeedbackPress(fields[3], _FEEDBACK_VALUES[fields[1]], fields[2] == "t")
    return None


def resolve_intent(press: IntentPress, intent_ids: Iterable[str]) -> str | None:
    """The intent id of a press (looking a digest up among ``intent_ids``)."""
    if press.intent is not None:
        return press.intent
    return next((i for i in intent_ids if intent_digest(i) == press.digest), None)


# ------------------------------------------------------------------------------------------------- text


def utf16_len(text: str) -> int:
    """Telegram's length unit. A lone surrogate (broken input) counts as one unit instead of raising."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def escape(text: str) -> str:
    return html.escape(text, quote=False)


@dataclass(frozen=True, slots=True)
class _Unit:
    html: str
    joiner: str  # what goes before it when it continues the current chunk


def _hard_split(text: str, limit: int, wrap: tuple[str, str] = ("", "")) -> list[str]:
    """Cut ``text`` into escaped pieces of at most ``limit`` UTF-16 units (``wrap`` included)."""
    budget = limit - utf16_len(wrap[0] + wrap[1])
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        escaped = escape(char)
        width = utf16_len(escaped)
        if size + width > budget and current:
            pieces.append(wrap[0] + "".join(current) + wrap[1])
            current, size = [], 0
        current.append(escaped)
        size += width
    if current:
        pieces.append(wrap[0] + "".join(current) + wrap[1])
    return pieces


def _text_units(body: str, limit: int, first_joiner: str) -> list[_Unit]:
    units: list[_Unit] = []
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", body) if p.strip()]
    for paragraph in paragraphs:
        joiner = first_joiner if not units else "\n\n"
        escaped = escape(paragraph)
        if utf16_len(escaped) <= limit:
            units.append(_Unit(escaped, joiner))
            continue
        for line_no, line in enumerate(paragraph.split("\n")):
            line_joiner = joiner if line_no == 0 else "\n"
            escaped_line = escape(line)
            if utf16_len(escaped_line) <= limit:
                units.append(_Unit(escaped_line, line_joiner))
                continue
            for piece_no, piece in enumerate(_hard_split(line, limit)):
                units.append(_Unit(piece, line_joiner if piece_no == 0 else ""))
    return units


def _part_units(part: Part, limit: int) -> list[_Unit]:
    units: list[_Unit] = []
    if part.heading and part.heading.strip():
        heading = part.heading.strip()
        bold = f"<b>{escape(heading)}</b>"
        if utf16_len(bold) <= limit:
            units.append(_Unit(bold, "\n\n"))
        else:
            units += [
                _Unit(p, "\n\n" if i == 0 else "")
                for i, p in enumerate(_hard_split(heading, limit, ("<b>", "</b>")))
            ]
    units += _text_units(part.body, limit, "\n" if units else "\n\n")
    return units


def _pack(units: Sequence[_Unit], limit: int) -> list[str]:
    """Units -> chunks of at most ``limit``. A unit of nothing but whitespace never starts a chunk: Telegram
    refuses a message that is empty after trimming ("message text is empty")."""
    chunks: list[str] = []
    current = ""
    for unit in units:
        candidate = current + unit.joiner + unit.html if current else unit.html
        if utf16_len(candidate) <= limit:
            current = candidate if candidate.strip() else ""
        else:
            if current:
                chunks.append(current)
            current = unit.html if unit.html.strip() else ""
    if current:
        chunks.append(current)
    return chunks


def render_parts(parts: Iterable[Part], limit: int = MESSAGE_LIMIT) -> list[str]:
    """HTML chunks (each <= ``limit``) for the parts: headings bold, everything escaped."""
    units = [unit for part in parts for unit in _part_units(part, limit)]
    return _pack(units, limit)


def render_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """HTML chunks for a plain text (a fixed text from the knowledge base)."""
    return render_parts([Part(text)], limit)


def pre_block(text: str, prefix_html: str = "", limit: int = MESSAGE_LIMIT) -> str:
    """``prefix_html`` + ``<pre>text</pre>`` as one message of at most ``limit`` UTF-16 units: the text is
    escaped first and then cut (at a line end when there is one) with "…" marking the cut, so that neither
    escaping (``<`` -> ``&lt;``) nor astral characters can push it over Telegram's limit."""
    closing = "\n…</pre>"
    budget = limit - utf16_len(prefix_html + "<pre>" + closing)
    pieces: list[str] = []
    size = 0
    cut = False
    for char in text:
        escaped = escape(char)
        width = utf16_len(escaped)
        if size + width > budget:
            cut = True
            break
        pieces.append(escaped)
        size += width
    body = "".join(pieces)
    if not cut:
        return f"{prefix_html}<pre>{body}</pre>"
    if "\n" in body:
        body = body.rsplit("\n", 1)[0]
    return f"{prefix_html}<pre>{body}{closing}"


# ---------------------------------------------------------------------------------------------- buttons


@dataclass(frozen=True, slots=True)
class Chunk:
    html: str
    markup: InlineKeyboardMarkup | None = None


def intent_buttons(
    suggestions: Iterable[Suggestion],
    traditional: bool,
    limit: int,
    days: int | None = None,
    platform: str | None = None,
) -> list[list[InlineKeyboardButton]]:
    return [
        [InlineKeyboardButton(s.title, callback_data=encode_intent(s.intent, traditional, days, platform))]
        for s in list(suggestions)[:limit]
    ]


def feedback_row(answer_id: str, traditional: bool) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(THUMBS_UP, callback_data=encode_feedback(answer_id, Feedback.UP, traditional)),
        InlineKeyboardButton(
            THUMBS_DOWN, callback_data=encode_feedback(answer_id, Feedback.DOWN, traditional)
        ),
    ]


def is_feedback_row(row: Sequence[InlineKeyboardButton]) -> bool:
    return any(isinstance(b.callback_data, str) and b.callback_data.startswith("f:") for b in row)


def reply_keyboard(
    reply: Reply, answer_id: str, none_of_these: str, details_label: str | None = None
) -> InlineKeyboardMarkup | None:
    """The buttons under a reply: suggestions + "都不是", or related questions (+ "详细说明") + 👍 👎. The
    buttons carry the reply's day count and platform."""
    trad = reply.traditional
    rows: list[list[InlineKeyboardButton]]
    days, platform = reply.days, reply.platform
    if reply.suggestions:
        rows = intent_buttons(reply.suggestions, trad, MAX_SUGGESTIONS, days, platform)
        rows.append(
            [
                InlineKeyboardButton(
                    none_of_these, callback_data=encode_feedback(answer_id, Feedback.NONE_OF_THESE, trad)
                )
            ]
        )
    elif reply.kind in (
        ReplyKind.ANSWER,
        ReplyKind.STAGE,
        ReplyKind.OUT_OF_SCOPE,
        ReplyKind.DETAILS,
        ReplyKind.APR,
    ):
        rows = intent_buttons(reply.related, trad, MAX_RELATED, days, platform)
        more = encode_details(reply.intent, trad, days, platform) if reply.details and reply.intent else None
        if more and details_label and reply.kind is not ReplyKind.DETAILS:
            rows.append([InlineKeyboardButton(details_label, callback_data=more)])
        rows.append(feedback_row(answer_id, trad))
    elif reply.kind is ReplyKind.CRISIS:
        rows = intent_buttons(reply.related, trad, MAX_RELATED, days, platform)
    else:
        rows = []
    return InlineKeyboardMarkup(rows) if rows else None


def render_reply(
    reply: Reply,
    answer_id: str,
    none_of_these: str,
    limit: int = MESSAGE_LIMIT,
    details_label: str | None = None,
) -> list[Chunk]:
    """The messages to send for a reply, in order; the keyboard is on the last one.

    A crisis reply's first part (the crisis help) is always a message of its own, first and without buttons.
    """
    if reply.kind is ReplyKind.CRISIS and reply.parts:
        head = render_parts(reply.parts[:1], limit)
        rest = render_parts(reply.parts[1:], limit)
    else:
        head, rest = [], render_parts(reply.parts, limit)
    markup = reply_keyboard(reply, answer_id, none_of_these, details_label)
    chunks = [Chunk(h) for h in head] + [Chunk(h) for h in rest]
    if not chunks:  # nothing but whitespace: Telegram refuses an empty message
        chunks = [Chunk("…")]
    if markup is not None:
        last = chunks[-1]
        chunks[-1] = Chunk(last.html, markup)
    return chunks


def menu_keyboard(
    topics: Sequence[Suggestion], traditional: bool, limit: int = 90
) -> InlineKeyboardMarkup | None:
    rows = intent_buttons(topics, traditional, limit)
    return InlineKeyboardMarkup(rows) if rows else None


def without_feedback(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    """The keyboard minus its 👍 👎 row (after a vote); None when nothing is left."""
    if markup is None:
        return None
    rows = [list(row) for row in markup.inline_keyboard if not is_feedback_row(row)]
    return InlineKeyboardMarkup(rows) if rows else None


def single_message(reply: Reply, limit: int = MESSAGE_LIMIT) -> str:
    """The reply as one HTML message (inline results): the chunks that fit, then "…" if cut."""
    chunks = render_parts(reply.parts, limit - 2)
    if not chunks:  # nothing but whitespace
        return "…"
    out = chunks[0]
    for chunk in chunks[1:]:
        if utf16_len(out + "\n\n" + chunk) > limit - 2:
            return out + "\n…"
        out += "\n\n" + chunk
    return out
