"""`python -m faq report`: what users asked, from the usage log, for the maintainer.

Plain-text tables: answers per day with the fallback and 👎 rates, the kinds of reply, the top intents, the
busiest overdue stages (days and platform mapped to the knowledge base's stage table), the unanswered
questions (fallbacks, low confidence, "都不是", 👎) grouped by similarity with the engine's own analyser,
each group with its size, examples and nearest intent, and, in a section of their own, the questions refused
as out of scope (grouped the same way, with the out-of-scope group that refuses them): refusals are where
missing topics hide. ``--yaml`` prints, instead, ready-to-paste ``questions:`` additions per nearest intent
(when it fits) and new-intent skeletons (when nothing fits), for the unanswered and, under keys of their own
(``refused_add_questions``, ``refused_new_intents``), for the refused questions.
``--plot FILE.png`` draws answers per day and the fallback rate (needs matplotlib: ``pip install
'.[plot]'``).

Everything but :func:`run` is pure: it takes rows and the engine and returns data or text.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import yaml
from rapidfuzz import fuzz, process

from faq.normalize import normalize
from faq.usage.events import Feedback
from faq.usage.redact import strip_placeholders

if TYPE_CHECKING:  # imported where needed: `faq ask` & co. need not load SQLAlchemy or the engine here
    from faq.engine import Engine
    from faq.usage.read import AnswerRow, FeedbackRow, UsageData

DEFAULT_SIMILARITY = 60.0  # RapidFuzz token_sort_ratio (0-100) between analysed questions of one group
DEFAULT_FIT = 0.35  # a group's mean score for its nearest intent at or above which it "fits" that intent
DEFAULT_LOW_CONFIDENCE = 0.5
DEFAULT_OUT_OF_SCOPE = 0.30  # faq.matcher.MatcherConfig.threshold; run() uses the engine's own
DEFAULT_TIMEZONE = "Asia/Shanghai"
MAX_GROUPED_TEXTS = 5000  # the most recent unanswered texts are grouped (the similarity matrix is n x n)
TITLE_CHARS = 16

OUT_OF_SCOPE = "out_of_scope"  # faq.reply.ReplyKind.OUT_OF_SCOPE, and the store's keep reason for it
#: A refused group is proposed in --yaml only when it resembles some intent at least this much
#: (faq.engine.MIN_SUGGESTION_SCORE): "你好" or "谢谢" are rightly refused, not a missing topic.
MIN_REFUSED_SCORE = 0.2

REASON_LABELS = {
    "fallback": "fallback",
    OUT_OF_SCOPE: "refused",
    "low_confidence": "low confidence",
    Feedback.DOWN.value: "👎",
    Feedback.NONE_OF_THESE.value: "都不是",
}


# ------------------------------------------------------------------------------------------- arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since",
        help="only rows since this day (YYYY-MM-DD) or for the last N days (e.g. 7d); default: everything kept",
    )
    parser.add_argument(
        "--db", help="database URL (default: $DATABASE_URL, else sqlite:///data/faqbot.sqlite3)"
    )
    parser.add_argument(
        "--kb", type=Path, default=None, help="knowledge base for grouping and stages (default: intents.yaml)"
    )
    parser.add_argument(
        "--yaml",
        action="store_true",
        help="print only YAML: questions to add and new intents, for unanswered and for refused questions",
    )
    parser.add_argument(
        "--plot", type=Path, metavar="FILE.png", help="draw answers per day and the fallback rate"
    )
    parser.add_argument(
        "--similarity",
        type=float,
        default=DEFAULT_SIMILARITY,
        help=f"grouping threshold, 0-100 (default {DEFAULT_SIMILARITY:g}; higher = tighter groups)",
    )
    parser.add_argument(
        "--fit",
        type=float,
        default=DEFAULT_FIT,
        help=f"nearest-intent score from which a group is proposed as that intent's questions (default {DEFAULT_FIT})",
    )
    parser.add_argument(
        "--low-confidence",
        type=float,
        default=None,
        help="confidence below which an answer counts as unsure (default: $LOW_CONFIDENCE or 0.5)",
    )
    parser.add_argument(
        "--top", type=int, default=10, help="rows in the intent and stage tables (default 10)"
    )
    parser.add_argument("--examples", type=int, default=5, help="examples shown per group (default 5)")
    parser.add_argument(
        "--tz",
        default=DEFAULT_TIMEZONE,
        help=f"time zone that days are counted in (default {DEFAULT_TIMEZONE})",
    )


# ------------------------------------------------------------------------------------------ since/tz


def parse_since(value: str | None, now: datetime, tz: tzinfo) -> datetime | None:
    """``YYYY-MM-DD`` (midnight in ``tz``) or ``Nd`` (N days before ``now``) -> an aware datetime."""
    if not value:
        return None
    text = value.strip().lower()
    days = re.fullmatch(r"(\d+)\s*d(?:ays?)?", text)
    if days:
        try:
            return now - timedelta(days=int(days.group(1)))
        except OverflowError:  # 99999999d: before year 1
            raise ValueError(f"--since: {value!r} reaches back before the calendar starts") from None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"--since: expected YYYY-MM-DD or a number of days such as 7d (got {value!r})"
        ) from None
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def load_timezone(name: str) -> tzinfo:
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name == DEFAULT_TIMEZONE:  # no tz database installed: China keeps UTC+8 all year
            return timezone(timedelta(hours=8), DEFAULT_TIMEZONE)
        raise ValueError(f"--tz: unknown time zone {name!r} (e.g. Asia/Shanghai, UTC)") from None


# -------------------------------------------------------------------------------------- per-day stats


def latest_feedback(feedback: Iterable[FeedbackRow]) -> dict[str, str]:
    """Each answer's latest feedback value (a user may change their mind; rows come in time order)."""
    latest: dict[str, tuple[datetime, str]] = {}
    for row in feedback:
        current = latest.get(row.answer_id)
        if current is None or row.at >= current[0]:
            latest[row.answer_id] = (row.at, row.value)
    return {answer_id: value for answer_id, (_, value) in latest.items()}


@dataclass(frozen=True)
class DayStats:
    day: date
    answers: int
    users: int
    fell_back: int
    rated: int
    down: int

    @property
    def fallback_rate(self) -> float:
        return self.fell_back / self.answers if self.answers else 0.0

    @property
    def down_rate(self) -> float:
        return self.down / self.answers if self.answers else 0.0


def daily_stats(answers: Sequence[AnswerRow], votes: Mapping[str, str], tz: tzinfo) -> list[DayStats]:
    by_day: dict[date, list[AnswerRow]] = defaultdict(list)
    for row in answers:
        by_day[row.at.astimezone(tz).date()].append(row)
    out: list[DayStats] = []
    for day in sorted(by_day):
        rows = by_day[day]
        out.append(
            DayStats(
                day=day,
                answers=len(rows),
                users=len({r.user_hash for r in rows}),
                fell_back=sum(1 for r in rows if r.fell_back),
                rated=sum(1 for r in rows if r.answer_id in votes),
                down=sum(1 for r in rows if votes.get(r.answer_id) == Feedback.DOWN.value),
            )
        )
    return out


@dataclass(frozen=True)
class IntentStats:
    intent: str
    answers: int
    mean_confidence: float
    down: int


def intent_stats(answers: Sequence[AnswerRow], votes: Mapping[str, str]) -> list[IntentStats]:
    rows_by_intent: dict[str, list[AnswerRow]] = defaultdict(list)
    for row in answers:
        if row.intent:
            rows_by_intent[row.intent].append(row)
    stats = [
        IntentStats(
            intent=intent,
            answers=len(rows),
            mean_confidence=sum(r.confidence for r in rows) / len(rows),
            down=sum(1 for r in rows if votes.get(r.answer_id) == Feedback.DOWN.value),
        )
        for intent, rows in rows_by_intent.items()
    ]
    return sorted(stats, key=lambda s: (-s.answers, s.intent))


def stage_counts(
    answers: Sequence[AnswerRow], stage_label: Callable[[int, str | None], str]
) -> list[tuple[str, int]]:
    """How many answers fell into each overdue stage (rows that stated a day count)."""
    counts = Counter(stage_label(r.days, r.platform) for r in answers if r.days is not None)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


# ----------------------------------------------------------------------------------- unanswered texts


@dataclass(frozen=True)
class Unanswered:
    """One unanswered message: its redacted text and why it counts (fallback, low confidence, 👎, 都不是)."""

    text: str
    reasons: tuple[str, ...]
    answer_id: str
    at: datetime
    answered_intent: str | None = None


def collect_unanswered(data: UsageData) -> list[Unanswered]:
    """The texts worth a maintainer's look, one per answer: fallbacks and low-confidence answers stored at
    answer time, and texts attached to 👎 / "都不是". Answers recognised as out of scope (a loan request,
    chit-chat) are left out unless a user complained about them. Newest last."""
    answered = {row.answer_id: row for row in data.answers}
    votes = latest_feedback(data.feedback)
    by_answer: dict[str, Unanswered] = {}
    for row in data.answers:
        if not row.question:
            continue
        if row.kind == OUT_OF_SCOPE and votes.get(row.answer_id) not in (
            Feedback.DOWN.value,
            Feedback.NONE_OF_THESE.value,
        ):
            continue
        reason = row.question_reason or ("fallback" if row.fell_back else "low_confidence")
        by_answer[row.answer_id] = Unanswered(row.question, (reason,), row.answer_id, row.at, row.intent)
    for fb in data.feedback:
        if fb.value not in (Feedback.DOWN.value, Feedback.NONE_OF_THESE.value):
            continue
        if votes.get(fb.answer_id) not in (Feedback.DOWN.value, Feedback.NONE_OF_THESE.value):
            continue  # the user changed their mind
        current = by_answer.get(fb.answer_id)
        text = fb.question or (current.text if current else None)
        if not text:
            continue
        reasons = tuple(dict.fromkeys([*(current.reasons if current else ()), fb.value]))
        origin = answered.get(fb.answer_id)
        by_answer[fb.answer_id] = Unanswered(
            text, reasons, fb.answer_id, current.at if current else fb.at, origin.intent if origin else None
        )
    return sorted(by_answer.values(), key=lambda u: u.at)


def collect_refused(data: UsageData) -> list[Unanswered]:
    """The messages refused as out of scope whose (redacted) text was kept, one per answer, newest last.
    Those a user complained about (👎 / "都不是") are left out: :func:`collect_unanswered` lists them."""
    votes = latest_feedback(data.feedback)
    complained = (Feedback.DOWN.value, Feedback.NONE_OF_THESE.value)
    refused = [
        Unanswered(row.question, (OUT_OF_SCOPE,), row.answer_id, row.at)
        for row in data.answers
        if row.kind == OUT_OF_SCOPE and row.question and votes.get(row.answer_id) not in complained
    ]
    return sorted(refused, key=lambda u: u.at)


def group_texts(
    texts: Sequence[str], tokenize: Callable[[str], list[str]], similarity: float = DEFAULT_SIMILARITY
) -> list[list[int]]:
    """Indices of ``texts`` grouped by similarity, biggest group first.

    Each text becomes its analysed tokens (``tokenize``); texts with the same tokens are one item. Items are
    taken most frequent first; each one not yet grouped leads a new group and takes every ungrouped item
    whose RapidFuzz ``token_sort_ratio`` to it is at least ``similarity`` (leader clustering: deterministic,
    and a group cannot drift away from its leader the way chained single-linkage groups do).
    """
    keys: list[str] = []
    for text in texts:
        tokens = tokenize(text)
        keys.append(" ".join(tokens) if tokens else "\x00" + normalize(text))
    members: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        members[key].append(i)
    unique = sorted(members, key=lambda k: (-len(members[k]), members[k][0]))
    if not unique:
        return []
    scores = process.cdist(unique, unique, scorer=fuzz.token_sort_ratio, dtype=np.uint8, workers=1)
    assigned = np.zeros(len(unique), dtype=bool)
    has_words = np.array([not k.startswith("\x00") for k in unique])
    groups: list[list[int]] = []
    for leader in range(len(unique)):
        if assigned[leader]:
            continue
        if has_words[leader]:
            taken = (scores[leader] >= similarity) & ~assigned & has_words
        else:  # no content words: only identical texts group
            taken = np.zeros(len(unique), dtype=bool)
        taken[leader] = True
        assigned |= taken
        groups.append(sorted(i for k in np.flatnonzero(taken) for i in members[unique[int(k)]]))
    return sorted(groups, key=lambda g: (-len(g), g[0]))


@dataclass(frozen=True)
class Group:
    texts: tuple[str, ...]  # distinct texts, most frequent first
    counts: tuple[int, ...]
    reasons: Mapping[str, int]
    nearest: str | None  # nearest intent id (never an out-of-scope group)
    score: float  # mean score of the members for ``nearest``
    out_of_scope: str | None = None  # the out-of-scope group that beats every intent, if any
    rejected: int = 0  # members whose 👎 / 都不是 was against ``nearest`` itself
    answered: Mapping[str, int] = field(default_factory=dict)
    #: For refused questions: how many members today's engine refuses as each out-of-scope group, and how
    #: many it would now answer (the knowledge base changed since).
    refused_as: Mapping[str, int] = field(default_factory=dict)
    answered_now: int = 0

    @property
    def size(self) -> int:
        return sum(self.counts)

    def fits(self, fit: float) -> bool:
        """Whether the nearest intent is a good home for these questions: close enough, and not the
        answer that users rejected for them."""
        return self.nearest is not None and self.score >= fit and self.rejected * 2 < self.size


def build_groups(
    items: Sequence[Unanswered],
    tokenize: Callable[[str], list[str]],
    rank: Callable[[str], Mapping[str, float]],
    similarity: float = DEFAULT_SIMILARITY,
    out_of_scope_min: float = DEFAULT_OUT_OF_SCOPE,
    refusal: Callable[[str], str | None] | None = None,
) -> list[Group]:
    """Group the unanswered texts and find each group's nearest intent. ``rank`` gives a text's score per
    intent and per out-of-scope group (keys ``oos:<id>``), e.g. from ``engine.understand(t).match.ranking``.
    A group looks out of scope when an out-of-scope group scores at least ``out_of_scope_min`` (the
    matcher's threshold) and more than every intent. ``refusal`` (for refused questions) gives the
    out-of-scope group a text is refused as, or None when it is answered (:func:`engine_refusal`)."""
    items = list(items)[-MAX_GROUPED_TEXTS:]
    plain = [_plain(item.text) for item in items]
    groups: list[Group] = []
    for indices in group_texts(plain, tokenize, similarity):
        counts = Counter(items[i].text for i in indices)
        texts = tuple(text for text, _ in counts.most_common())
        totals: dict[str, float] = defaultdict(float)
        for text in texts:
            for owner, score in rank(_plain(text)).items():
                totals[owner] += score * counts[text]
        size = len(indices)
        intents = {o: s / size for o, s in totals.items() if not o.startswith("oos:")}
        nearest = max(intents, key=lambda o: (intents[o], o), default=None)
        best_score = intents[nearest] if nearest else 0.0
        oos = {o: s / size for o, s in totals.items() if o.startswith("oos:")}
        top_oos = max(oos, key=lambda o: oos[o], default=None)
        reasons = Counter(r for i in indices for r in items[i].reasons)
        refused_as: Counter[str] = Counter()
        if refusal is not None:
            for text in texts:
                refused_as[refusal(_plain(text)) or ""] += counts[text]
        answered_now = refused_as.pop("", 0)
        rejected = sum(
            1
            for i in indices
            if items[i].answered_intent == nearest
            and {Feedback.DOWN.value, Feedback.NONE_OF_THESE.value} & set(items[i].reasons)
        )
        groups.append(
            Group(
                texts=texts,
                counts=tuple(counts[t] for t in texts),
                reasons=dict(reasons),
                nearest=nearest,
                score=best_score,
                out_of_scope=(
                    top_oos[4:]
                    if top_oos and oos[top_oos] >= out_of_scope_min and oos[top_oos] > best_score
                    else None
                ),
                rejected=rejected,
                answered=dict(Counter(intent for i in indices if (intent := items[i].answered_intent))),
                refused_as=dict(refused_as.most_common()),
                answered_now=answered_now,
            )
        )
    return groups


def _plain(text: str) -> str:
    """The text as the matcher should read it: without placeholders (``<电话>`` is not about phones)."""
    return re.sub(r"\s+", " ", strip_placeholders(text)).strip()


# -------------------------------------------------------------------------------------------- YAML out


def yaml_additions(
    groups: Sequence[Group],
    fit: float,
    known_questions: Iterable[str] = (),
    max_questions: int = 20,
    taken_ids: Iterable[str] = (),
) -> dict[str, Any]:
    """``add_questions`` per nearest intent for groups that fit it, ``new_intents`` skeletons for the rest,
    ``answers_to_review`` for groups whose users rejected the answer they got. Texts that already are
    example questions (after normalisation) are left out: the knowledge base refuses duplicates."""
    seen = {normalize(q) for q in known_questions}

    def fresh(texts: Iterable[str]) -> list[str]:
        out: list[str] = []
        for text in texts:
            key = normalize(text)
            if key and key not in seen:
                seen.add(key)
                out.append(text)
        return out[:max_questions]

    additions: dict[str, list[str]] = {}
    review: dict[str, list[str]] = {}
    new: list[dict[str, Any]] = []
    taken = set(taken_ids)
    numbers = (n for n in range(1, 1_000_000) if f"new_topic_{n}" not in taken)
    for group in groups:
        if group.out_of_scope is not None or group.nearest is None:
            continue  # not ours, or nothing to match (a bare day count): not FAQ material
        if group.rejected * 2 >= group.size:
            review.setdefault(group.nearest, []).extend(group.texts[:max_questions])
            continue
        questions = fresh(group.texts)
        if not questions:
            continue
        if group.fits(fit):
            assert group.nearest is not None
            additions.setdefault(group.nearest, []).extend(questions)
        else:
            new.append(
                {
                    "id": f"new_topic_{next(numbers)}",
                    "title": _title(questions[0]),
                    "questions": questions,
                    "answer": "TODO",
                    "sources": ["TODO"],
                }
            )
    out: dict[str, Any] = {}
    if additions:
        out["add_questions"] = additions
    if new:
        out["new_intents"] = new
    if review:
        out["answers_to_review"] = review
    return out


@dataclass(frozen=True)
class RefusedProposal:
    """``--yaml`` for one group of refused questions: questions for an intent, or a new-intent skeleton."""

    questions: tuple[str, ...]
    note: str  # what the engine did with them: a YAML comment above the proposal
    intent: str | None = None  # add ``questions`` to this intent ...
    skeleton: Mapping[str, Any] | None = None  # ... or paste this new intent


def refused_proposals(
    groups: Sequence[Group],
    fit: float,
    known_questions: Iterable[str] = (),
    max_questions: int = 20,
    taken_ids: Iterable[str] = (),
    min_score: float = MIN_REFUSED_SCORE,
    deliberate: Iterable[str] = (),
) -> list[RefusedProposal]:
    """Proposals for groups of refused questions: ``questions`` for the nearest intent when the group fits
    it (the intent lost to an out-of-scope group), a new-intent skeleton when it resembles some intent at
    all (``min_score``) but fits none. Left out: groups that resemble no intent (你好, 谢谢), groups mostly
    refused by a ``deliberate`` out-of-scope group (one with an answer of its own, such as a loan request:
    the text report lists them), and texts that already are example questions."""
    seen = {normalize(q) for q in known_questions}
    taken = set(taken_ids)
    on_purpose = set(deliberate)
    numbers = (n for n in range(1, 1_000_000) if f"new_topic_{n}" not in taken)
    out: list[RefusedProposal] = []
    for group in groups:
        if group.nearest is None or group.score < min_score:
            continue
        if sum(n for name, n in group.refused_as.items() if name in on_purpose) * 2 > group.size:
            continue
        questions: list[str] = []
        for text in (re.sub(r"\s+", " ", t).strip() for t in group.texts):
            key = normalize(text)
            if key and key not in seen:
                seen.add(key)
                questions.append(text)
        if not questions:
            continue
        questions = questions[:max_questions]
        note = f"refused as {_refused_label(group)}; nearest intent {group.nearest} ({group.score:.2f})"
        if group.fits(fit):
            out.append(RefusedProposal(tuple(questions), note, intent=group.nearest))
        else:
            skeleton = {
                "id": f"new_topic_{next(numbers)}",
                "title": _title(questions[0]),
                "questions": questions,
                "answer": "TODO",
                "sources": ["TODO"],
            }
            out.append(RefusedProposal(tuple(questions), note, skeleton=skeleton))
    return out


def _refused_label(group: Group) -> str:
    parts = [f"{name} {n}" for name, n in group.refused_as.items()]
    if group.answered_now:
        parts.append(f"now answered {group.answered_now}")
    return ", ".join(parts) or "?"


def render_refused_yaml(proposals: Sequence[RefusedProposal]) -> str:
    """The refused questions' proposals as YAML, each under a comment saying what the engine did with them:
    ``refused_add_questions`` (intent id -> list of questions) and ``refused_new_intents`` (skeletons)."""
    if not proposals:
        return ""
    lines = [
        "# refused_add_questions / refused_new_intents: questions the bot refused as out of scope. Paste only",
        "# those that are in scope (a missing topic), and check that the out_of_scope group that took them",
        "# has no example question just like them.",
    ]
    additions = [p for p in proposals if p.intent is not None]
    if additions:
        lines.append("refused_add_questions:")
        by_intent: dict[str, list[RefusedProposal]] = defaultdict(list)
        for proposal in additions:
            assert proposal.intent is not None
            by_intent[proposal.intent].append(proposal)
        for intent, items in by_intent.items():
            lines.append(f"  {_dump_inline(intent)}:")
            for item in items:
                lines.append(f"    # {item.note}")
                lines += [f"    - {_dump_inline(q)}" for q in item.questions]
    skeletons = [p for p in proposals if p.skeleton is not None]
    if skeletons:
        lines.append("refused_new_intents:")
        for item in skeletons:
            lines.append(f"  # {item.note}")
            body = yaml.safe_dump(
                [dict(item.skeleton or {})],
                allow_unicode=True,
                sort_keys=False,
                width=1000,
                default_flow_style=False,
            )
            lines += [f"  {line}" for line in body.splitlines()]
    return "\n".join(lines) + "\n"


def _dump_inline(value: str) -> str:
    """One YAML scalar on one line (quoted when it has to be)."""
    return (
        yaml.safe_dump(value, allow_unicode=True, width=1000, default_style=None)
        .splitlines()[0]
        .removesuffix(" ...")
    )


def _title(text: str) -> str:
    title = re.sub(r"\s+", "", strip_placeholders(text))[:TITLE_CHARS]
    return title or "TODO"


def render_yaml(
    doc: Mapping[str, Any], header: Sequence[str] = (), refused: Sequence[RefusedProposal] = ()
) -> str:
    """``doc`` (from :func:`yaml_additions`) and the refused questions' proposals as one YAML document."""
    lines = [f"# {line}" if line else "#" for line in header]
    lines += [
        "# add_questions: paste each list under that intent's `questions:` in intents.yaml.",
        "# new_intents: paste under `intents:`, then write the answer and its sources.",
        "# answers_to_review: users said these answers did not help; check the answer, not the questions.",
        "# Placeholders such as <金额> or <电话> stand for redacted personal data: reword before pasting.",
    ]
    tail = render_refused_yaml(refused)
    if not doc and not tail:
        return "\n".join([*lines, "{}  # nothing to add", ""])
    body = yaml.safe_dump(
        dict(doc), allow_unicode=True, sort_keys=False, width=1000, default_flow_style=False
    )
    return "\n".join(lines) + "\n" + (body if doc else "") + tail


# -------------------------------------------------------------------------------------------- text out


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], align: str = "") -> list[str]:
    """A plain-text table; ``align`` holds one of 'l'/'r' per column (default: the first left, others right).
    The last column is never padded (it may hold Chinese text, whose width terminals disagree on)."""
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    align = align or "l" + "r" * (len(headers) - 1)
    out: list[str] = []
    for n, row in enumerate(cells):
        parts = []
        for i, cell in enumerate(row):
            if i == len(row) - 1:
                parts.append(cell if align[i] == "l" else cell.rjust(widths[i]))
            else:
                parts.append(cell.ljust(widths[i]) if align[i] == "l" else cell.rjust(widths[i]))
        out.append("  ".join(parts).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def _pct(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "-"


@dataclass(frozen=True)
class ReportOptions:
    low_confidence: float = DEFAULT_LOW_CONFIDENCE
    fit: float = DEFAULT_FIT
    top: int = 10
    examples: int = 5
    similarity: float = DEFAULT_SIMILARITY


def render_text(
    data: UsageData,
    groups: Sequence[Group],
    stages: Sequence[tuple[str, int]],
    tz: tzinfo,
    options: ReportOptions,
    title: str,
    refused: Sequence[Group] = (),
) -> str:
    from faq.usage.store import is_low_confidence

    votes = latest_feedback(data.feedback)
    answers = data.answers
    days = daily_stats(answers, votes, tz)
    lines = [title, ""]
    if not answers:
        lines.append("No answers recorded in this period.")
    total = len(answers)
    fell_back = sum(1 for r in answers if r.fell_back)
    low = sum(1 for r in answers if is_low_confidence(r.kind, r.confidence, options.low_confidence))
    rated = sum(1 for r in answers if r.answer_id in votes)
    value_counts = Counter(votes.get(r.answer_id) for r in answers if r.answer_id in votes)
    if answers:
        users = len({r.user_hash for r in answers})
        lines += [
            f"Answers: {total} to {users} users over {len(days)} days "
            f"({days[0].day} .. {days[-1].day}, days in {tz})",
            f"Fallback rate: {_pct(fell_back, total)} ({fell_back})   "
            f"low confidence (< {options.low_confidence:g}): {_pct(low, total)} ({low})",
            f"Feedback: {rated} answers rated ({_pct(rated, total)}): 👍 {value_counts[Feedback.UP.value]}  "
            f"👎 {value_counts[Feedback.DOWN.value]} ({_pct(value_counts[Feedback.DOWN.value], total)} of answers, "
            f"{_pct(value_counts[Feedback.DOWN.value], rated)} of rated)  "
            f"都不是 {value_counts[Feedback.NONE_OF_THESE.value]}",
            "Kinds: " + "  ".join(f"{k} {n}" for k, n in Counter(r.kind for r in answers).most_common()),
            "",
            "Per day",
        ]
        lines += table(
            ["day", "answers", "users", "fallback", "👎"],
            [
                (d.day, d.answers, d.users, _pct(d.fell_back, d.answers), _pct(d.down, d.answers))
                for d in days
            ],
        )
        lines += ["", f"Top intents (of {sum(1 for r in answers if r.intent)} answers with an intent)"]
        lines += table(
            ["intent", "answers", "share", "confidence", "👎"],
            [
                (s.intent, s.answers, _pct(s.answers, total), f"{s.mean_confidence:.2f}", s.down)
                for s in intent_stats(answers, votes)[: options.top]
            ],
        )
        with_days = sum(n for _, n in stages)
        lines += ["", f"Busiest stages (of {with_days} answers that stated a day count)"]
        if stages:
            lines += table(
                ["answers", "share", "stage"],
                [(n, _pct(n, with_days), label) for label, n in stages[: options.top]],
                align="rrl",
            )
        else:
            lines.append("(none)")
    unanswered_total = sum(g.size for g in groups)
    lines += [
        "",
        f"Unanswered questions: {unanswered_total} in {len(groups)} groups "
        f"(similarity >= {options.similarity:g}; nearest intent fits from {options.fit:g})",
    ]
    for n, group in enumerate(groups, 1):
        reasons = ", ".join(f"{REASON_LABELS.get(r, r)} {c}" for r, c in sorted(group.reasons.items()))
        if group.out_of_scope:
            verdict = f"looks out of scope ({group.out_of_scope})"
        elif group.nearest is None:
            verdict = "nothing to match (only a day count or filler words)"
        elif group.rejected * 2 >= group.size:
            verdict = f"users rejected {group.nearest}'s answer ({group.score:.2f}): review the answer"
        elif group.fits(options.fit):
            verdict = f"nearest {group.nearest} ({group.score:.2f}): add as questions"
        else:
            verdict = f"nearest {group.nearest} ({group.score:.2f}): new topic?"
        lines.append(f"#{n:<3} {group.size:>4}x  {verdict}  [{reasons}]")
        lines += _examples(group, options.examples)
    lines += _refused_section(data, votes, refused, options)
    return "\n".join(lines) + "\n"


def _examples(group: Group, examples: int) -> list[str]:
    lines = []
    for text, count in list(zip(group.texts, group.counts, strict=True))[:examples]:
        suffix = f"  (x{count})" if count > 1 else ""
        lines.append(f"        - {_one_line(text)}{suffix}")
    if len(group.texts) > examples:
        lines.append(f"        ... and {len(group.texts) - examples} more")
    return lines


def _refused_section(
    data: UsageData, votes: Mapping[str, str], groups: Sequence[Group], options: ReportOptions
) -> list[str]:
    """The questions refused as out of scope, grouped, each group with what refuses it and its nearest
    intent: a group of in-scope questions here is a missing topic (or examples the intent lacks)."""
    refusals = [r for r in data.answers if r.kind == OUT_OF_SCOPE]
    listed = sum(g.size for g in groups)
    lines = [
        "",
        f"Refused as out of scope: {listed} questions in {len(groups)} groups "
        f"(of {len(refusals)} refusals; where missing topics hide)",
    ]
    without_text = sum(1 for r in refusals if not r.question)
    if without_text:
        lines.append(f"({without_text} refusals kept no text, e.g. with LOG_QUESTIONS=0)")
    complained = sum(
        1
        for r in refusals
        if r.question and votes.get(r.answer_id) in (Feedback.DOWN.value, Feedback.NONE_OF_THESE.value)
    )
    if complained:
        lines.append(
            f"({complained} that users complained about are listed with the unanswered questions above)"
        )
    for n, group in enumerate(groups, 1):
        nearest = f"nearest {group.nearest} ({group.score:.2f})" if group.nearest else "resembles no intent"
        lines.append(f"#{n:<3} {group.size:>4}x  refused as {_refused_label(group)}; {nearest}")
        lines += _examples(group, options.examples)
    return lines


def _one_line(text: str, limit: int = 120) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# ------------------------------------------------------------------------------------------------ plot


def plot(days: Sequence[DayStats], path: Path) -> str | None:
    """Draw answers per day (bars) and the fallback rate (line); an error message, or None when written."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "--plot needs matplotlib: pip install 'loan-faq-bot[plot]' (or pip install matplotlib)"
    fig, left = plt.subplots(figsize=(max(6.0, 0.35 * len(days) + 3), 4))
    try:
        x: Any = [d.day for d in days]  # matplotlib's stubs do not list dates, which it plots fine
        left.bar(x, [d.answers for d in days], color="#9ecae1", label="answers")
        left.set_ylabel("answers per day")
        right = left.twinx()
        right.plot(
            x, [100 * d.fallback_rate for d in days], color="#d62728", marker="o", label="fallback rate"
        )
        right.set_ylabel("fallback rate (%)")
        right.set_ylim(0, 100)
        left.set_title("Questions per day and fallback rate")
        fig.autofmt_xdate()
        handles = left.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
        left.legend(handles, ["answers", "fallback rate"], loc="upper left")
        fig.tight_layout()
        fig.savefig(path, dpi=120)
    except OSError as exc:
        return f"--plot: cannot write {path}: {exc}"
    finally:
        plt.close(fig)
    return None


# ------------------------------------------------------------------------------------------------- run


def engine_tokenizer(engine: Engine) -> Callable[[str], list[str]]:
    return lambda text: engine.analyzer.tokens(normalize(text))


def engine_refusal(engine: Engine) -> Callable[[str], str | None]:
    """The out-of-scope group the engine refuses a text as today, or None when it answers it."""
    return lambda text: engine.reply(text).out_of_scope


def engine_ranker(engine: Engine) -> Callable[[str], dict[str, float]]:
    def rank(text: str) -> dict[str, float]:
        return {c.owner: c.score for c in engine.understand(text).match.ranking}

    return rank


def stage_labeler(engine: Engine) -> Callable[[int, str | None], str]:
    def label(days: int, platform: str | None) -> str:
        stage = engine.kb.stage_for(days, platform)
        upper = f"{stage.max_days}" if stage.max_days is not None else "+"
        span = f"{stage.min_days}-{upper}" if stage.max_days != stage.min_days else f"{stage.min_days}"
        span = span.replace("-+", "+")
        return f"{stage.platform} {span} 天  {stage.title}"

    return label


def run(args: argparse.Namespace) -> int:
    from faq.engine import Engine
    from faq.usage.read import UsageLogMissingError, read_usage
    from faq.usage.settings import StoreSettingsError, default_database_url
    from faq.usage.store import describe_error

    try:
        tz = load_timezone(args.tz)
        since = parse_since(args.since, datetime.now(UTC), tz)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    low = args.low_confidence
    if low is None:
        try:
            low = float(os.environ.get("LOW_CONFIDENCE") or DEFAULT_LOW_CONFIDENCE)
        except ValueError:
            low = DEFAULT_LOW_CONFIDENCE
    url = args.db or default_database_url()
    try:
        data = asyncio.run(read_usage(url, since))
    except UsageLogMissingError as exc:
        print(exc, file=sys.stderr)
        return 1
    except StoreSettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    except Exception as exc:
        print(f"cannot read the usage log: {describe_error(exc)}", file=sys.stderr)
        return 1
    engine = Engine.load(args.kb)
    options = ReportOptions(
        low_confidence=low, fit=args.fit, top=args.top, examples=args.examples, similarity=args.similarity
    )
    groups = build_groups(
        collect_unanswered(data),
        engine_tokenizer(engine),
        engine_ranker(engine),
        options.similarity,
        engine.matcher.config.threshold,
    )
    refused = build_groups(
        collect_refused(data),
        engine_tokenizer(engine),
        engine_ranker(engine),
        options.similarity,
        engine.matcher.config.threshold,
        refusal=engine_refusal(engine),
    )
    period = f"since {since.astimezone(tz):%Y-%m-%d %H:%M}" if since else "everything kept"
    if args.yaml:
        known = [q for intent in engine.kb.intents for q in intent.questions]
        known += [q for group in engine.kb.out_of_scope for q in group.questions]
        taken = [i.id for i in engine.kb.intents]
        doc = yaml_additions(groups, options.fit, known, taken_ids=taken)
        proposed = [q for qs in doc.get("add_questions", {}).values() for q in qs]
        proposed += [q for new in doc.get("new_intents", []) for q in new["questions"]]
        taken += [new["id"] for new in doc.get("new_intents", [])]
        deliberate = [group.id for group in engine.kb.out_of_scope if group.answer]
        proposals = refused_proposals(
            refused, options.fit, [*known, *proposed], taken_ids=taken, deliberate=deliberate
        )
        header = [
            f"faq report --yaml: {len(groups)} groups of unanswered questions, "
            f"{len(refused)} of questions refused as out of scope, {period}",
            f"refused questions proposed below: {sum(len(p.questions) for p in proposals)}; those refused on "
            f"purpose ({', '.join(deliberate) or '-'}) are in the text report only",
        ]
        sys.stdout.write(render_yaml(doc, header, proposals))
    else:
        stages = stage_counts(data.answers, stage_labeler(engine))
        title = f"Usage report: {period} ({_describe_url(url)})"
        sys.stdout.write(render_text(data, groups, stages, tz, options, title, refused))
    if args.plot:
        message = plot(daily_stats(data.answers, latest_feedback(data.feedback), tz), args.plot)
        if message:
            print(message, file=sys.stderr)
            return 1
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 0


def _describe_url(url: str) -> str:
    from faq.usage.settings import StoreSettingsError, database_target

    try:
        return database_target(url).describe()
    except StoreSettingsError:
        return "?"
