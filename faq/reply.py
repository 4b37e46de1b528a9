"""What the engine answers: a :class:`Reply`, the same for the console, Telegram and `faq ask --json`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ReplyKind(StrEnum):
    ANSWER = "answer"  # a matched intent (maybe with a stage block)
    STAGE = "stage"  # a pure day-count message: the stage block
    SUGGEST = "suggest"  # unsure between a few intents: "did you mean"
    FALLBACK = "fallback"  # nothing matched: "I don't know this one" + suggestions
    OUT_OF_SCOPE = "out_of_scope"  # recognised as not ours (e.g. asking for a loan)
    CRISIS = "crisis"  # self-harm or despair: crisis help, and only that
    DETAILS = "details"  # the longer explanation behind the "详细说明" button / `/more`
    EMPTY = "empty"  # nothing to read
    APR = "apr"  # a loan's figures: its real annual rate, or what is missing to compute it (faq/apr.py)


@dataclass(frozen=True, slots=True)
class StageRef:
    platform: str  # platform id or "general"
    min_days: int
    max_days: int | None

    def to_json(self) -> dict[str, Any]:
        return {"platform": self.platform, "min_days": self.min_days, "max_days": self.max_days}


@dataclass(frozen=True, slots=True)
class Part:
    """One block of a reply: an optional heading (shown bold on Telegram) and its body (plain text)."""

    body: str
    heading: str | None = None

    def plain(self) -> str:
        if self.heading and self.body:
            return f"{self.heading}\n{self.body}"
        return self.heading or self.body


@dataclass(frozen=True, slots=True)
class Suggestion:
    intent: str
    title: str


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    parts: tuple[Part, ...]
    intent: str | None = None
    confidence: float = 0.0
    days: int | None = None
    platform: str | None = None
    stage: StageRef | None = None
    suggestions: tuple[Suggestion, ...] = ()
    related: tuple[Suggestion, ...] = ()
    traditional: bool = False
    out_of_scope: str | None = None  # the out_of_scope group recognised, if any
    crisis: bool = False
    apr: float | None = None  # the real annual rate in percent (kind "apr"), rounded to 0.1
    #: The lender the message names (an id of intents.yaml's ``lenders:``), if any.
    lender: str | None = None
    #: Both intents when a message asks two questions and both are answered (the first is ``intent``).
    intents: tuple[str, ...] = ()
    #: The direct sentence shown first (bold on Telegram); None for replies without one.
    summary: str | None = None
    #: The longer explanation behind the "详细说明" button (`/more` in the console); None when there is none.
    details: str | None = None
    #: How the chat's context was used: "days", "platform", "topic", "button", "repeat", "inherit"; None.
    #: "paid_off": the message says the debt is paid, so its day count is reported but no stage is shown.
    followup: str | None = None
    #: The reply shows the topic's details (so that the next "是真的吗" does not show them again).
    shows_details: bool = False
    #: The user's own words quoted by "did you mean" (kept out of the script conversion).
    quote: str | None = None
    #: Distress without self-harm: a warm sentence with a help line comes before the answer.
    distress: bool = False
    #: The region whose help lines a crisis or distress reply gave ("mainland", "hong_kong", "taiwan"); a
    #: front end remembers it to end later replies with :meth:`faq.engine.Engine.crisis_footer`.
    help_region: str | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(part.plain() for part in self.parts)

    @property
    def fell_back(self) -> bool:
        """True when the user did not get an answer to a question we know (for the learning log)."""
        return self.kind in (ReplyKind.FALLBACK, ReplyKind.SUGGEST, ReplyKind.OUT_OF_SCOPE)

    def to_json(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "days": self.days,
            "platform": self.platform,
            "stage": self.stage.to_json() if self.stage else None,
            "suggestions": [s.intent for s in self.suggestions],
            "answer": self.text,
            "kind": self.kind.value,
            "out_of_scope": self.out_of_scope,
            "crisis": self.crisis,
            "apr": self.apr,
            "lender": self.lender,
            "intents": list(self.intents) or ([self.intent] if self.intent else []),
            "summary": self.summary,
            "details": self.details,
            "followup": self.followup,
            "distress": self.distress,
            "help_region": self.help_region,
        }
